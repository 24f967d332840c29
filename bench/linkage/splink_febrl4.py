"""Splink 5's documented FEBRL4 "link two datasets" model, run on the FEBRL4 CSV files.

The model is the one in Splink's example (docs/demos/examples/duckdb/febrl4): its blocking rules,
its detailed comparisons, the prior from deterministic rules at 80% recall, u by random sampling
(max_pairs=1e6) and m by EM in two sessions (blocked on date of birth, then on postcode). The
data are read from the CSV files named on the command line, not from splink_datasets.

It writes every blocked pair with its match probability (so that blocking losses can be
counted), as left_id,right_id,match_probability.

    python splink_febrl4.py febrl4a.csv febrl4b.csv pairs.csv
"""

import sys

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def load(path):
    # Every column as text, trimmed, as the example prepares its data.
    con = duckdb.connect()
    rel = con.read_csv(path, all_varchar=True, header=True)
    cols = ", ".join(f'trim("{c}") as "{c.strip()}"' for c in rel.columns)
    return con.sql(f"select {cols} from rel").arrow().read_all()


def main(left_path, right_path, out_path):
    tables = [load(left_path), load(right_path)]

    blocking_rules = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
    )

    db_api = DuckDBAPI()
    linker = Linker([db_api.register(t) for t in tables], settings)

    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True
    )

    predictions = linker.inference.predict()
    rel = predictions.as_duckdbpyrelation()
    rel.select("rec_id_l as left_id, rec_id_r as right_id, match_probability").write_csv(
        out_path
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
