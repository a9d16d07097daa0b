//! The trait impls every validated string newtype of the crate shares.

/// Implements `FromStr` (through the type's checking constructor), `Display` and
/// `AsRef<str>` for a `struct T(String)`.
macro_rules! str_newtype {
    ($ty:ty) => {
        str_newtype!($ty, parse);
    };
    ($ty:ty, $parse:ident) => {
        impl std::str::FromStr for $ty {
            type Err = $crate::NamingError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::$parse(s)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
