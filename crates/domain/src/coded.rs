//! The one pattern for closed, coded enums: every variant carries a stable `code` (what storage,
//! forms, exports and the API use) and a human `label` (what pages show).
//!
//! [`coded_enum!`] is crate-private. It writes `ALL`, `code`, `label`, `parse`, `Display`,
//! `FromStr` and serde-as-code for an enum, so each set of codes is declared once as a plain
//! table and every `match` on it stays exhaustive.

/// A code that no variant of a closed enum carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a known {what}")]
pub struct UnknownCode {
    /// What kind of code was expected, e.g. "role".
    pub what: &'static str,
    /// The value that was given.
    pub value: String,
}

/// Declares `code`, `label`, `ALL` and `parse` for a closed enum. Written out by hand per enum
/// would be many near-identical blocks; this keeps one definition and stays a plain `match`.
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every variant, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// The stable code used in storage, forms and exports.
            pub const fn code(self) -> &'static str { match self { $($name::$variant => $code,)+ } }
            /// The label shown to people.
            pub const fn label(self) -> &'static str { match self { $($name::$variant => $label,)+ } }
            /// Reads a stable code back.
            pub fn parse(code: &str) -> Result<Self, $crate::coded::UnknownCode> {
                match code.trim() {
                    $($code => Ok($name::$variant),)+
                    other => Err($crate::coded::UnknownCode { what: $what, value: other.to_owned() }),
                }
            }
        }
        impl TryFrom<String> for $name {
            type Error = $crate::coded::UnknownCode;
            fn try_from(s: String) -> Result<Self, $crate::coded::UnknownCode> { Self::parse(&s) }
        }
        impl From<$name> for &'static str {
            fn from(v: $name) -> &'static str { v.code() }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.label()) }
        }
        impl std::str::FromStr for $name {
            type Err = $crate::coded::UnknownCode;
            fn from_str(s: &str) -> Result<Self, $crate::coded::UnknownCode> { Self::parse(s) }
        }
    };
}

pub(crate) use coded_enum;
