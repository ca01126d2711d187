//! Names in statements: identifiers folded as PostgreSQL folds them, and object names
//! with an optional schema (`public` or SQLite's `main`, the only ones covet has).

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

use crate::error::{QueryError, Result, SqlState};

/// An identifier as stored: unquoted ones folded to lower case, quoted ones as written.
pub fn ident(id: &Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// The one name of a table, index or view (`t`, `public.t`, `main.t`).
pub fn object(name: &ObjectName) -> Result<String> {
    let parts: Vec<&Ident> = name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(id) => Ok(id),
            ObjectNamePart::Function(_) => Err(QueryError::unsupported(format!(
                "computed object name {name}"
            ))),
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [one] => Ok(ident(one)),
        [schema, one] if matches!(ident(schema).as_str(), "public" | "main") => Ok(ident(one)),
        [schema, _] => Err(QueryError::new(
            SqlState(*b"3F000"),
            format!("schema \"{}\" does not exist", ident(schema)),
        )),
        _ => Err(QueryError::new(
            SqlState::SYNTAX_ERROR,
            format!("improper qualified name (too many dotted names): {name}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_schemas() {
        assert_eq!(ident(&Ident::new("AbC")), "abc");
        assert_eq!(ident(&Ident::with_quote('"', "AbC")), "AbC");
        let n = ObjectName::from(vec![Ident::new("PUBLIC"), Ident::new("T")]);
        assert_eq!(object(&n).unwrap(), "t");
        let n = ObjectName::from(vec![Ident::new("other"), Ident::new("t")]);
        assert_eq!(object(&n).unwrap_err().code, SqlState(*b"3F000"));
        let n = ObjectName::from(vec![Ident::new("a"), Ident::new("b"), Ident::new("c")]);
        assert_eq!(object(&n).unwrap_err().code, SqlState::SYNTAX_ERROR);
    }
}
