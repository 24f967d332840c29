//! The model the product ships with, for matching referrals to known children at the front door.
//!
//! A local authority cannot train a model on the day it starts: it has no pairs of records yet,
//! and a few hundred children give EM too little to learn from. So the product ships one model,
//! trained here without labels on synthetic UK children and second sightings of them with the
//! errors real referrals carry (nicknames, typing slips, day and month swapped, house moves, a
//! missing NHS number; see [`crate::synthetic`]). What it learns from that data is m, how
//! records of the same child differ, which does not depend on the area. What does depend on the
//! area (how common each name is, how often two different children agree by chance, and how
//! many children there are) is refitted from the local authority's own children by
//! [`Model::fitted_to`] whenever the index is built.
//!
//! The file `data/reference-model.json` is the output of [`train_reference_model`]; a test
//! checks that training again gives the same model, so the file can always be reproduced.

use crate::model::{Data, Model, Settings};
use crate::synthetic;
use crate::{LinkageError, Record};

/// The shipped model, as JSON (a serialised [`Model`] without term-frequency tables).
pub const REFERENCE_MODEL_JSON: &str = include_str!("../data/reference-model.json");

/// How many synthetic children the reference model is trained on.
pub const REFERENCE_CHILDREN: usize = 20_000;

/// The seed of the synthetic population, so training is repeatable.
pub const REFERENCE_SEED: u64 = 2024;

/// The training data: synthetic children, and one later sighting of each.
pub fn reference_training_data() -> (Vec<Record>, Vec<Record>) {
    let children = synthetic::population(REFERENCE_CHILDREN, REFERENCE_SEED);
    let sightings = children
        .iter()
        .enumerate()
        .map(|(i, c)| synthetic::sighting(c, 1_000_000 + i as u64))
        .collect();
    (children, sightings)
}

/// Trains the reference model: EM without labels on [`reference_training_data`], with the
/// term-frequency tables of the synthetic names left out (they are counted again from the
/// local authority's own children).
///
/// # Errors
///
/// Only if training fails, which the synthetic data does not make it do.
pub fn train_reference_model() -> Result<Model, LinkageError> {
    let (children, sightings) = reference_training_data();
    let mut model = Model::train(
        Data::Link {
            left: &children,
            right: &sightings,
        },
        &Settings::default(),
    )?;
    model.term_frequencies.clear();
    Ok(model)
}
