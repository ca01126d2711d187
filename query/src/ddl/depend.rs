//! What depends on a table or view, for DROP … RESTRICT (refused, 2BP01) and
//! DROP … CASCADE (dropped with it), as PostgreSQL decides.
//!
//! Views are stored as SQL text only, so their dependencies are computed, not
//! recorded: a view depends on every relation its query resolves when bound against
//! the catalog of the dropping transaction (the binder lists them, those read through
//! other views included). Being computed from the stored text in the same write
//! transaction, they can never disagree with the views that exist. A stored view that
//! no longer binds (a column it reads was dropped) is matched by its words instead: any
//! identifier equal to the name counts, which can only over-approximate.

use std::collections::BTreeSet;

use covet_engine::table::{TableRead, TableWriter};
use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::binder::relations_read;
use crate::catalog::{Catalog, ViewInfo};
use crate::error::{QueryError, Result};
use crate::statement::names;

/// The views of one transaction with the relations each depends on.
pub(super) struct ViewDependencies {
    views: Vec<(String, BTreeSet<String>)>,
}

impl ViewDependencies {
    /// Computes the dependencies of every view `w` sees.
    pub fn load(w: &TableWriter<'_>) -> Result<ViewDependencies> {
        let names = w.list_views()?;
        if names.is_empty() {
            return Ok(ViewDependencies { views: Vec::new() });
        }
        let catalog = Catalog::load(w)?;
        let mut views = Vec::new();
        for name in names {
            let Some(view) = catalog.view(&name).cloned() else {
                continue;
            };
            let reads = reads_of(&view, &catalog);
            views.push((name, reads));
        }
        Ok(ViewDependencies { views })
    }

    /// The views that read `name` (directly or through other views), sorted.
    pub fn readers(&self, name: &str) -> Vec<String> {
        self.views
            .iter()
            .filter(|(v, reads)| v != name && reads.contains(name))
            .map(|(v, _)| v.clone())
            .collect()
    }

    /// The views that read `name`, each before every view it reads: the order in
    /// which DROP … CASCADE drops them.
    pub fn drop_order(&self, name: &str) -> Vec<String> {
        let mut left = self.readers(name);
        let mut order = Vec::with_capacity(left.len());
        while !left.is_empty() {
            // A view no remaining view reads can go now (views cannot read each other
            // in a cycle; if stored text ever did, any order is as good).
            let next = left
                .iter()
                .position(|v| !left.iter().any(|o| o != v && self.reads(o).contains(v)))
                .unwrap_or(0);
            order.push(left.remove(next));
        }
        order
    }

    fn reads(&self, view: &str) -> &BTreeSet<String> {
        static NONE: BTreeSet<String> = BTreeSet::new();
        self.views
            .iter()
            .find(|(n, _)| n == view)
            .map_or(&NONE, |(_, r)| r)
    }
}

/// The relations view `view` reads, bound against `catalog`, or (when it no longer
/// binds) every word of its text.
fn reads_of(view: &ViewInfo, catalog: &Catalog) -> BTreeSet<String> {
    let bound = Parser::parse_sql(&PostgreSqlDialect {}, &view.sql)
        .map_err(|e| QueryError::syntax(e.to_string()))
        .and_then(|mut stmts| match stmts.pop() {
            Some(Statement::Query(q)) if stmts.is_empty() => relations_read(&q, catalog),
            _ => Err(QueryError::syntax("not one query")),
        });
    match bound {
        Ok(names) => names.into_iter().collect(),
        Err(_) => words(&view.sql),
    }
}

/// Every identifier of `sql`, folded as the binder folds names.
fn words(sql: &str) -> BTreeSet<String> {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return BTreeSet::new();
    };
    tokens
        .into_iter()
        .filter_map(|t| match t {
            Token::Word(w) => Some(names::ident(&sqlparser::ast::Ident {
                value: w.value,
                quote_style: w.quote_style,
                span: sqlparser::tokenizer::Span::empty(),
            })),
            _ => None,
        })
        .collect()
}
