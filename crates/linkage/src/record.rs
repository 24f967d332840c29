//! The input: one person's identifying details as another system holds them, unparsed.

use serde::{Deserialize, Serialize};

/// One record about a person, as written by whoever keeps it. Every field except `id` may be
/// missing; the text is taken as it comes (any case, spacing, accents or date format) and
/// standardised inside the engine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The caller's identifier for the record, returned in candidates and pairs. Never compared.
    pub id: String,
    /// First name(s), possibly with middle names.
    pub given_name: Option<String>,
    /// Family name(s).
    pub surname: Option<String>,
    /// Date of birth: `YYYY-MM-DD`, `YYYYMMDD`, `DD/MM/YYYY`, or a partial date (`YYYY-MM`,
    /// `YYYY`). Invalid dates (day 31 in a 30-day month, a month of 13) are kept and compared
    /// part by part, because they are usually typing slips of a real date.
    pub dob: Option<String>,
    /// Sex as recorded: `M`/`F`, `male`/`female`; anything else counts as not known.
    pub sex: Option<String>,
    /// Postcode. UK postcodes also compare by sector and district; any other code compares as
    /// text.
    pub postcode: Option<String>,
    /// Street address: house number and street, optionally more lines.
    pub address: Option<String>,
    /// Town, suburb or locality.
    pub locality: Option<String>,
    /// A national identifier such as an NHS number.
    pub identifier: Option<String>,
}

impl Record {
    /// A record with this id and no details; fill the fields in with struct update syntax.
    pub fn new(id: impl Into<String>) -> Record {
        Record {
            id: id.into(),
            ..Record::default()
        }
    }

    /// The raw value of one field.
    pub fn get(&self, field: Field) -> Option<&str> {
        match field {
            Field::GivenName => self.given_name.as_deref(),
            Field::Surname => self.surname.as_deref(),
            Field::DateOfBirth => self.dob.as_deref(),
            Field::Sex => self.sex.as_deref(),
            Field::Postcode => self.postcode.as_deref(),
            Field::Address => self.address.as_deref(),
            Field::Locality => self.locality.as_deref(),
            Field::Identifier => self.identifier.as_deref(),
        }
    }

    /// Sets one field's raw value.
    pub fn set(&mut self, field: Field, value: Option<String>) {
        let slot = match field {
            Field::GivenName => &mut self.given_name,
            Field::Surname => &mut self.surname,
            Field::DateOfBirth => &mut self.dob,
            Field::Sex => &mut self.sex,
            Field::Postcode => &mut self.postcode,
            Field::Address => &mut self.address,
            Field::Locality => &mut self.locality,
            Field::Identifier => &mut self.identifier,
        };
        *slot = value;
    }
}

/// A compared field of a [`Record`]. Each has one comparison in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// First name(s).
    GivenName,
    /// Family name.
    Surname,
    /// Date of birth.
    #[serde(rename = "dob")]
    DateOfBirth,
    /// Sex.
    Sex,
    /// Postcode.
    Postcode,
    /// Street address.
    Address,
    /// Town or locality.
    Locality,
    /// National identifier (NHS number or similar).
    Identifier,
}

impl Field {
    /// Every field, in the order comparisons are listed.
    pub const ALL: [Field; 8] = [
        Field::GivenName,
        Field::Surname,
        Field::DateOfBirth,
        Field::Sex,
        Field::Postcode,
        Field::Address,
        Field::Locality,
        Field::Identifier,
    ];

    /// The stable code, as used on the command line (`--field dob=COLUMN`) and in serialised
    /// models.
    pub fn code(self) -> &'static str {
        match self {
            Field::GivenName => "given_name",
            Field::Surname => "surname",
            Field::DateOfBirth => "dob",
            Field::Sex => "sex",
            Field::Postcode => "postcode",
            Field::Address => "address",
            Field::Locality => "locality",
            Field::Identifier => "identifier",
        }
    }

    /// The field with this code.
    pub fn parse(code: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.code() == code)
    }

    /// A label for people: "date of birth".
    pub fn label(self) -> &'static str {
        match self {
            Field::GivenName => "given name",
            Field::Surname => "surname",
            Field::DateOfBirth => "date of birth",
            Field::Sex => "sex",
            Field::Postcode => "postcode",
            Field::Address => "address",
            Field::Locality => "locality",
            Field::Identifier => "identifier",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}
