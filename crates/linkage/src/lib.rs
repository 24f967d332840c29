//! Record linkage for `safeguard`: finds the records, across agencies or within one, that are
//! probably the same child, and says why. Records are standardised (Unicode folding, nicknames,
//! dates of birth with swapped or partial parts, UK postcodes, Double Metaphone), paired by
//! blocking rules, and scored with a Fellegi-Sunter model whose u probabilities come from random
//! pairs and whose m probabilities come from expectation maximisation without labels, as Splink
//! does. Every score comes with each comparison's contribution to it. An [`Index`] keeps known
//! children in memory so the front door can score one new referral against them in real time.
//!
//! This crate must never do IO (no files, network or database: records come in as values and
//! scores go out), never decide on its own that two records are the same child (it ranks and
//! explains; a person confirms), and never log or print the details it is given. It has no
//! rules keyed to any one data set's column names or quirks: fields are the eight kinds of
//! [`Field`], whatever the caller's columns are called.

mod blocking;
mod cluster;
mod compare;
mod em;
mod error;
mod index;
mod model;
mod record;
pub mod reference;
mod rng;
mod similarity;
mod standardise;
pub mod synthetic;
mod threshold;

pub use blocking::{BlockingReport, BlockingRule, RuleReport};
pub use cluster::connected_components;
pub use compare::{Level, levels};
pub use error::LinkageError;
pub use index::{
    Candidate, DEFAULT_MAX_BLOCK_SIZE, Index, Scored, ScoredPair, blocking_report, explain, score,
    score_with_block_limit, train_and_score,
};
pub use model::{
    ComparisonModel, Contribution, Data, LevelParameters, MIN_RECORDS_FOR_U, Model, Settings,
    TermFrequencies, TrainingSession, probability, weight_of_probability,
};
pub use record::{Field, Record};
pub use standardise::{Dob, PostcodeParts, are_aliases, double_metaphone, fold};
pub use threshold::suggest_threshold;
