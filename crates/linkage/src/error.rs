//! What can go wrong, in the caller's terms.

/// Why the engine could not do what was asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinkageError {
    /// Too few records to learn anything from.
    #[error(
        "there are too few records to train on: link needs at least one record on each side, dedupe at least two"
    )]
    NotEnoughRecords,
    /// No field is filled in often enough, or every record has the same value.
    #[error(
        "no field can be compared: map at least one of given_name, surname, dob, sex, postcode, address, locality or identifier to a column that is filled in and varies"
    )]
    NoUsableFields,
    /// A training setting is out of range.
    #[error("setting {name} must be {expected}, not {value}")]
    InvalidSetting {
        /// The setting.
        name: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it was.
        value: String,
    },
}
