//! Use-case errors in the console's terms: each field problem on its own line, named by the
//! option that fixes it.

use anyhow::anyhow;
use safeguard_app::{AppError, FieldError};

/// Turns an [`AppError`] into the message the operator reads after `error: `.
pub fn explain(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(fields) => anyhow!(invalid_message(&fields)),
        AppError::NotFound(what) => anyhow!("no {what} found"),
        AppError::Conflict { message, .. } => anyhow!(message),
        AppError::Denied(reason) => anyhow!("not permitted: {reason}"),
        AppError::Store(store) => anyhow!(store),
        AppError::Unauthenticated | AppError::SignInFailed => anyhow!(e.to_string()),
    }
}

fn invalid_message(fields: &[FieldError]) -> String {
    let mut message = String::from("nothing was saved, because:");
    for f in fields {
        message.push_str("\n  ");
        message.push_str(&option_for(&f.field));
        message.push_str(": ");
        message.push_str(&f.message);
    }
    message
}

/// The command-line option for a form field, where there is one.
fn option_for(field: &str) -> String {
    match field {
        "email" | "name" | "agency" | "team" | "scope" => format!("--{field}"),
        "roles" => "--role".to_owned(),
        other => other.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_problem_is_named_by_its_option() {
        let e = explain(AppError::Invalid(vec![
            FieldError::new("email", "Enter an email address"),
            FieldError::new("roles", "Select at least one role"),
            FieldError::new("password", "Password must be 12 characters or more"),
        ]));
        assert_eq!(
            e.to_string(),
            "nothing was saved, because:\n  --email: Enter an email address\n  \
             --role: Select at least one role\n  password: Password must be 12 characters or more"
        );
    }

    #[test]
    fn missing_records_read_as_a_sentence() {
        let e = explain(AppError::NotFound("account with that email address"));
        assert_eq!(e.to_string(), "no account with that email address found");
    }
}
