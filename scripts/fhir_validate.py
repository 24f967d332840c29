"""Validates each FHIR JSON file in a directory with fhir.resources' R4B models.

    python scripts/fhir_validate.py DIR

Each file's resourceType picks the model (Bundle, Flag, Patient, Organization, OperationOutcome,
CapabilityStatement); a Bundle's entries are validated again by their own type, and a resource's
contained resources too. Prints each file OK or its errors; exits 1 on any failure, or if DIR
holds no JSON file.
"""

import json
import sys
from pathlib import Path

from fhir.resources.R4B import get_fhir_model_class

KNOWN = {"Bundle", "Flag", "Patient", "Organization", "OperationOutcome", "CapabilityStatement"}


def validate(resource, where):
    """Returns the errors of one resource and those nested in it."""
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind not in KNOWN:
        return [f"{where}: resourceType {kind!r} is not one this server emits"]
    errors = []
    try:
        get_fhir_model_class(kind).model_validate(resource)
    except Exception as e:  # pydantic's ValidationError, or a model's own check
        errors.append(f"{where} ({kind}): {e}")
    for i, entry in enumerate(resource.get("entry", []) if kind == "Bundle" else []):
        errors += validate(entry.get("resource"), f"{where}.entry[{i}].resource")
    for i, inner in enumerate(resource.get("contained", [])):
        errors += validate(inner, f"{where}.contained[{i}]")
    return errors


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    files = sorted(Path(sys.argv[1]).glob("*.json"))
    if not files:
        print(f"no JSON files in {sys.argv[1]}: nothing was validated", file=sys.stderr)
        return 1
    failed = 0
    for f in files:
        errors = validate(json.loads(f.read_text()), f.name)
        if errors:
            failed += 1
            print(f"FAIL {f.name}")
            for e in errors:
                print(f"  {e}")
        else:
            print(f"OK   {f.name}")
    print(f"{len(files) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
