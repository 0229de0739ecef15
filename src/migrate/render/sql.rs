//! What the SQL engines' renderers share (DESIGN.md §6).
//!
//! [`DdlRenderer`] holds, as default methods, the statements PostgreSQL,
//! MySQL and SQLite write alike (dropping and creating views and tables,
//! dropping columns, the shared lossy lines); each engine's renderer
//! implements the few methods that differ (quoting, `CREATE TABLE`,
//! `CREATE INDEX`) and overrides a default only where its SQL differs.
//! [`AlterConstraints`] adds what only the engines that change constraints
//! with `ALTER TABLE` share (PostgreSQL, MySQL; SQLite rebuilds the table
//! instead). [`TablePlan`] is the order of work of those two engines.
//!
//! MongoDB does not implement the trait: its statements are JSON commands,
//! not DDL, and it shares no statement text with the SQL engines.

use std::collections::BTreeSet;

use super::{Cx, Statement, Target, expression, is_view, view_order, views_using};
use crate::diff::ChangeKind;
use crate::manifest::{
    Check, Entity, Field, Index, IndexPart, Manifest, ReferentialAction, Relation,
};
use crate::manifest::{Generated, SortOrder};

/// Functions every SQL engine has, that defaults, checks and index keys of
/// another engine commonly call (and SQL words that look like calls). Each
/// renderer adds its own with [`DdlRenderer::functions`].
pub(crate) const SHARED_FUNCTIONS: &[&str] = &[
    "abs",
    "coalesce",
    "nullif",
    "length",
    "lower",
    "upper",
    "trim",
    "ltrim",
    "rtrim",
    "substr",
    "substring",
    "replace",
    "round",
    "cast",
    "in",
    "like",
    "between",
    "exists",
    "and",
    "or",
    "not",
    "is",
    "null",
    "case",
    "when",
    "then",
    "else",
    "end",
];

/// Whether `field` (or its array items) holds values of enum `name`.
pub(crate) fn uses_enum(field: &Field, name: &str) -> bool {
    field.enum_name.as_deref() == Some(name)
        || field.items.as_ref().is_some_and(|i| uses_enum(i, name))
}

/// The column names of `fields` (field names of `entity`).
pub(crate) fn columns_of<'e>(entity: &'e Entity, fields: &'e [String]) -> Vec<&'e str> {
    fields
        .iter()
        .map(|f| {
            entity
                .fields
                .get(f)
                .map_or(f.as_str(), |field| field.column_name(f))
        })
        .collect()
}

/// A referential action as SQL says it.
pub(crate) fn action(action: ReferentialAction) -> &'static str {
    match action {
        ReferentialAction::NoAction => "NO ACTION",
        ReferentialAction::Restrict => "RESTRICT",
        ReferentialAction::Cascade => "CASCADE",
        ReferentialAction::SetNull => "SET NULL",
        ReferentialAction::SetDefault => "SET DEFAULT",
    }
}

/// The DDL of one SQL engine: required methods say what differs, default
/// methods write what the engines share.
pub(crate) trait DdlRenderer {
    /// The engine's name in lossy lines (`PostgreSQL`).
    fn name(&self) -> &'static str;

    /// `name` as an identifier.
    fn quote(&self, name: &str) -> String;

    /// The functions this engine has beyond [`SHARED_FUNCTIONS`].
    fn functions(&self) -> &'static [&'static str];

    /// `CREATE TABLE` of `entity` as `manifest` describes it.
    fn create_table(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        name: &str,
        entity: &Entity,
    ) -> String;

    /// `CREATE INDEX` of `index`; `None` when the engine cannot build it.
    fn create_index(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        entity_name: &str,
        entity: &Entity,
        index: &Index,
    ) -> Option<Statement>;

    /// The table of `entity`.
    fn table(&self, entity: &Entity) -> String {
        self.quote(&entity.table)
    }

    /// The columns of `fields` (field names of `entity`), quoted.
    fn column_list(&self, entity: &Entity, fields: &[String]) -> String {
        columns_of(entity, fields)
            .into_iter()
            .map(|column| self.quote(column))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// An SQL expression of `manifest` as this engine reads it (see
    /// [`super::expression`]).
    fn expression(&self, cx: &Cx<'_>, manifest: &Manifest, sql: &str) -> Option<String> {
        expression(cx, manifest, sql, &|function| {
            SHARED_FUNCTIONS.contains(&function) || self.functions().contains(&function)
        })
    }

    /// A CHECK of `entity` as this engine reads it; a lossy line when it
    /// cannot.
    fn check_sql(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        entity: &str,
        sql: &str,
    ) -> Option<String> {
        let text = self.expression(cx, manifest, sql);
        if text.is_none() {
            cx.lossy(format!(
                "{entity}: CHECK `{sql}` is written in {} SQL that {} does not read; left out",
                Cx::source_target(manifest).map_or("another engine's", Target::name),
                self.name()
            ));
        }
        text
    }

    /// A default expression of `here` as this engine reads it; a lossy line
    /// when it cannot.
    fn default_expression(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        here: &str,
        sql: &str,
    ) -> Option<String> {
        let text = self.expression(cx, manifest, sql);
        if text.is_none() {
            cx.lossy(format!(
                "{here}: the default `{sql}` is not {} SQL; left out",
                self.name()
            ));
        }
        text
    }

    /// The generated expression of `here`, when the field has one this
    /// engine reads; a lossy line when it cannot.
    fn computed_expression(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        here: &str,
        field: &Field,
    ) -> Option<String> {
        let Some(Generated::Computed { sql, .. }) = &field.generated else {
            return None;
        };
        let text = self.expression(cx, manifest, sql);
        if text.is_none() {
            cx.lossy(format!(
                "{here}: the generated expression `{sql}` is not {} SQL; the column is a plain column",
                self.name()
            ));
        }
        text
    }

    /// The key parts of `index` (`"col" COLLATE "c" DESC`, `(lower(x))`),
    /// with the index's operator classes when `operator_classes`; `None`
    /// (and a lossy line) when a key is an expression this engine does not
    /// read.
    fn index_parts(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        here: &str,
        entity: &Entity,
        index: &Index,
        operator_classes: bool,
    ) -> Option<Vec<String>> {
        let same = cx.same_engine(manifest);
        super::visible_index_on(cx, self.name(), here, index);
        let mut parts = Vec::new();
        for (position, part) in index.fields.iter().enumerate() {
            // `gin_trgm_ops`: an identifier, possibly schema-qualified.
            let operator_class = index
                .options
                .operator_classes
                .get(position)
                .filter(|class| operator_classes && !class.is_empty())
                .map(|class| format!(" {class}"))
                .unwrap_or_default();
            let (mut text, order) = match part {
                IndexPart::Field {
                    field,
                    order,
                    collation,
                    prefix_length,
                } => {
                    let column = entity
                        .fields
                        .get(field)
                        .map_or(field.as_str(), |f| f.column_name(field));
                    if let Some(length) = prefix_length {
                        cx.lossy(format!(
                            "{here}: {} keys whole values; the prefix length {length} of `{field}` is left out",
                            self.name()
                        ));
                    }
                    let mut text = self.quote(column);
                    if let Some(collation) = collation {
                        if same {
                            text.push_str(&format!(" COLLATE {}", self.quote(collation)));
                        } else {
                            cx.lossy(format!("{here}: collation `{collation}` is left out"));
                        }
                    }
                    text.push_str(&operator_class);
                    (text, order)
                }
                IndexPart::Expression { sql, order } => {
                    let Some(sql) = self.expression(cx, manifest, sql) else {
                        cx.lossy(format!(
                            "{here}: the key `{sql}` is not {} SQL; the index is left out",
                            self.name()
                        ));
                        return None;
                    };
                    (format!("({sql}){operator_class}"), order)
                }
            };
            if *order == Some(SortOrder::Desc) {
                text.push_str(" DESC");
            }
            parts.push(text);
        }
        Some(parts)
    }

    /// ` WHERE <predicate>` of a partial index, empty for a whole one;
    /// `None` (and a lossy line) when this engine does not read it.
    fn index_predicate(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        here: &str,
        index: &Index,
    ) -> Option<String> {
        let Some(predicate) = &index.predicate else {
            return Some(String::new());
        };
        match self.expression(cx, manifest, predicate) {
            Some(sql) => Some(format!(" WHERE {sql}")),
            None => {
                cx.lossy(format!(
                    "{here}: the predicate `{predicate}` is not {} SQL; the index is left out",
                    self.name()
                ));
                None
            }
        }
    }

    /// The entity `relation` of `entity_name` references; `None` (and a
    /// lossy line) when `manifest` has no such entity.
    fn referenced<'m>(
        &self,
        cx: &mut Cx<'_>,
        manifest: &'m Manifest,
        entity_name: &str,
        relation: &Relation,
    ) -> Option<&'m Entity> {
        let target = manifest.entities.get(&relation.references.entity);
        if target.is_none() {
            cx.lossy(format!(
                "{entity_name}: foreign key to `{}`, which is not an entity; left out",
                relation.references.entity
            ));
        }
        target
    }

    /// The keyword of a view's `CREATE`/`DROP` (`VIEW`).
    fn view_keyword(&self, _view: &Entity) -> &'static str {
        "VIEW"
    }

    /// What separates `AS` from a view's query.
    fn view_query_separator(&self) -> &'static str {
        "\n"
    }

    /// Drops the views `names` of `before`, those that read others last.
    fn drop_views(&self, cx: &Cx<'_>, names: &BTreeSet<String>, out: &mut Vec<Statement>) {
        let mut ordered: Vec<&str> = view_order(cx.before, names);
        ordered.reverse();
        for name in ordered {
            let view = &cx.before.entities[name];
            out.push(Statement::new(format!(
                "DROP {} IF EXISTS {}",
                self.view_keyword(view),
                self.table(view)
            )));
        }
    }

    /// `CREATE VIEW` of `view`; `None` (and a lossy line) when the manifest
    /// has no query for it in this engine's SQL.
    fn create_view(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        name: &str,
        view: &Entity,
    ) -> Option<Statement> {
        let Some(definition) = &view.definition else {
            cx.lossy(format!(
                "{name}: the view has no query in the manifest; not created"
            ));
            return None;
        };
        if !cx.same_engine(manifest) {
            cx.lossy(format!(
                "{name}: the view's query is written in {} SQL; not created on {}",
                Cx::source_target(manifest).map_or("another engine's", Target::name),
                self.name()
            ));
            return None;
        }
        Some(Statement::new(format!(
            "CREATE {} {} AS{}{}",
            self.view_keyword(view),
            self.table(view),
            self.view_query_separator(),
            definition.trim().trim_end_matches(';')
        )))
    }

    /// What precedes a view this script creates (the connection settings
    /// it is made with).
    fn before_view(&self, _cx: &mut Cx<'_>, _view: &Entity, _out: &mut Vec<Statement>) {}

    /// What follows a view this script creates (its comments, indexes).
    fn after_view(&self, _cx: &mut Cx<'_>, _name: &str, _view: &Entity, _out: &mut Vec<Statement>) {
    }

    /// Creates the views `names` of `after`, each after those it reads.
    fn create_views(&self, cx: &mut Cx<'_>, names: &BTreeSet<String>, out: &mut Vec<Statement>) {
        let after = cx.after;
        for name in view_order(after, names) {
            let view = &after.entities[name];
            if let Some(statement) = self.create_view(cx, after, name, view) {
                self.before_view(cx, view, out);
                out.push(statement);
                self.after_view(cx, name, view, out);
            }
        }
    }

    /// Drops the tables `names` of `before` (views are left to
    /// [`Self::drop_views`]).
    fn drop_tables(&self, cx: &Cx<'_>, names: &[String], out: &mut Vec<Statement>) {
        for name in names {
            let Some(entity) = cx.before.entities.get(name) else {
                continue;
            };
            if is_view(entity) {
                continue;
            }
            out.push(
                Statement::new(format!("DROP TABLE {}", self.table(entity))).destructive(format!(
                    "drops table `{}` and every row in it",
                    entity.table
                )),
            );
        }
    }

    /// What follows an index `create_index` made (its comment, where the
    /// engine writes it apart).
    fn after_index(
        &self,
        _manifest: &Manifest,
        _entity_name: &str,
        _entity: &Entity,
        _index: &Index,
        _out: &mut Vec<Statement>,
    ) {
    }

    /// What follows a table this script creates, before its indexes.
    fn after_table(
        &self,
        _cx: &mut Cx<'_>,
        _name: &str,
        _entity: &Entity,
        _out: &mut Vec<Statement>,
    ) {
    }

    /// Creates the tables `names` of `after`, each with its indexes.
    fn create_tables(&self, cx: &mut Cx<'_>, names: &[String], out: &mut Vec<Statement>) {
        let after = cx.after;
        for name in names {
            let Some(entity) = after.entities.get(name) else {
                continue;
            };
            if is_view(entity) {
                continue;
            }
            let mut create = Statement::new(self.create_table(cx, after, name, entity));
            if let Some(note) = cx.restore_note(&format!("table `{}`", entity.table)) {
                create = create.note(note);
            }
            out.push(create);
            self.after_table(cx, name, entity, out);
            for index in &entity.indexes {
                if let Some(statement) = self.create_index(cx, after, name, entity, index) {
                    out.push(statement);
                    self.after_index(after, name, entity, index, out);
                }
            }
        }
    }

    /// `ADD COLUMN` of `field` of `entity` declared as `definition`.
    fn add_column(&self, cx: &Cx<'_>, entity: &Entity, field: &str, definition: &str) -> Statement {
        let statement = Statement::new(format!(
            "ALTER TABLE {} ADD COLUMN {definition}",
            self.table(entity)
        ));
        match cx.restore_note(&format!("column `{field}`")) {
            Some(note) => statement.note(note),
            None => statement,
        }
    }

    /// `DROP COLUMN` of `old_field` (field `field` of entity `name`) from
    /// `entity`.
    fn drop_column(
        &self,
        name: &str,
        entity: &Entity,
        field: &str,
        old_field: &Field,
    ) -> Statement {
        Statement::new(format!(
            "ALTER TABLE {} DROP COLUMN {}",
            self.table(entity),
            self.quote(old_field.column_name(field))
        ))
        .destructive(format!("drops `{name}.{field}` and its values"))
    }
}

/// What the engines that change constraints in place (`ALTER TABLE ... ADD
/// CONSTRAINT`) share: PostgreSQL and MySQL.
pub(crate) trait AlterConstraints: DdlRenderer {
    /// The name of `relation` of `entity` in the database.
    fn relation_name(&self, manifest: &Manifest, entity: &Entity, relation: &Relation) -> String;

    /// The name of the check at `position` of `entity` in the database.
    fn check_name(&self, entity: &Entity, position: usize) -> String;

    /// Whether `entity` makes `check` itself (not one it has from the
    /// tables it inherits from).
    fn makes_check(&self, _entity: &Entity, _check: &Check) -> bool {
        true
    }

    /// What follows `CHECK (...)` of `check` (`NO INHERIT`).
    fn check_suffix(&self, _check: &Check) -> &'static str {
        ""
    }

    /// `ADD CONSTRAINT ... FOREIGN KEY` of `relation` of `entity`.
    fn add_foreign_key(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        entity_name: &str,
        entity: &Entity,
        relation: &Relation,
    ) -> Option<Statement>;

    /// What drops a foreign key in `ALTER TABLE` (`DROP CONSTRAINT`).
    fn drop_foreign_key_clause(&self) -> &'static str {
        "DROP CONSTRAINT"
    }

    /// Drops the foreign keys `relations` (entity as in `before`).
    fn drop_foreign_keys(
        &self,
        cx: &Cx<'_>,
        relations: &[(String, Relation)],
        out: &mut Vec<Statement>,
    ) {
        for (entity_name, relation) in relations {
            let Some(entity) = cx.before.entities.get(entity_name) else {
                continue;
            };
            out.push(Statement::new(format!(
                "ALTER TABLE {} {} {}",
                self.table(entity),
                self.drop_foreign_key_clause(),
                self.quote(&self.relation_name(cx.before, entity, relation))
            )));
        }
    }

    /// Adds the foreign keys `relations` (entity as in `after`).
    fn add_foreign_keys(
        &self,
        cx: &mut Cx<'_>,
        relations: &[(String, Relation)],
        out: &mut Vec<Statement>,
    ) {
        let after = cx.after;
        for (entity_name, relation) in relations {
            let Some(entity) = after.entities.get(entity_name) else {
                continue;
            };
            if let Some(statement) = self.add_foreign_key(cx, after, entity_name, entity, relation)
            {
                out.push(statement);
            }
        }
    }

    /// `ALTER TABLE ... ADD CONSTRAINT <name> FOREIGN KEY (...) REFERENCES
    /// ...` of `relation`, without its actions; `None` when it references
    /// no entity.
    fn foreign_key_clause(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        entity_name: &str,
        entity: &Entity,
        relation: &Relation,
        name: &str,
    ) -> Option<String> {
        let target = self.referenced(cx, manifest, entity_name, relation)?;
        Some(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
            self.table(entity),
            self.quote(name),
            self.column_list(entity, &relation.fields),
            self.table(target),
            self.column_list(target, &relation.references.fields)
        ))
    }

    /// `CONSTRAINT <name> CHECK (...)` lines of `entity`'s checks this
    /// engine reads.
    fn check_constraints(
        &self,
        cx: &mut Cx<'_>,
        manifest: &Manifest,
        name: &str,
        entity: &Entity,
    ) -> Vec<String> {
        let mut lines = Vec::new();
        for (position, check) in entity.checks.iter().enumerate() {
            if !self.makes_check(entity, check) {
                continue;
            }
            if let Some(text) = self.check_sql(cx, manifest, name, &check.sql) {
                lines.push(format!(
                    "CONSTRAINT {} CHECK ({text}){}",
                    self.quote(&self.check_name(entity, position)),
                    self.check_suffix(check)
                ));
            }
        }
        lines
    }

    /// The position of the check `sql` of `entity`, and its name quoted.
    fn find_check(&self, entity: &Entity, sql: &str) -> Option<(usize, String)> {
        let position = entity
            .checks
            .iter()
            .position(|c| crate::diff::sql_eq(&c.sql, sql))?;
        Some((position, self.quote(&self.check_name(entity, position))))
    }

    /// Drops the check `sql` of `old`, when it has it.
    fn drop_check(&self, old: &Entity, sql: &str) -> Option<Statement> {
        let (_, name) = self.find_check(old, sql)?;
        Some(Statement::new(format!(
            "ALTER TABLE {} DROP CONSTRAINT {name}",
            self.table(old)
        )))
    }

    /// Adds the check `sql` of `entity` (named `name`), when it has it and
    /// this engine reads it.
    fn add_check(
        &self,
        cx: &mut Cx<'_>,
        name: &str,
        entity: &Entity,
        sql: &str,
    ) -> Option<Statement> {
        let (position, constraint) = self.find_check(entity, sql)?;
        let check = &entity.checks[position];
        let text = self.check_sql(cx, cx.after, name, &check.sql)?;
        Some(Statement::new(format!(
            "ALTER TABLE {} ADD CONSTRAINT {constraint} CHECK ({text}){}",
            self.table(entity),
            self.check_suffix(check)
        )))
    }

    /// `RENAME COLUMN` of every column of `name` whose name changes.
    fn rename_columns(
        &self,
        cx: &Cx<'_>,
        name: &str,
        old: &Entity,
        new: &Entity,
        out: &mut Vec<Statement>,
    ) {
        for (field_name, field) in &new.fields {
            let old_name = cx.old_field_name(name, field_name);
            if let Some(old_field) = old.fields.get(old_name)
                && old_field.column_name(old_name) != field.column_name(field_name)
            {
                out.push(Statement::new(format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {}",
                    self.table(new),
                    self.quote(old_field.column_name(old_name)),
                    self.quote(field.column_name(field_name))
                )));
            }
        }
    }
}

/// The order of work of a script that changes tables in place: what is
/// created, dropped and altered, the views dropped first and created last,
/// the foreign keys dropped first and added last.
pub(crate) struct TablePlan {
    pub created: Vec<String>,
    pub dropped: Vec<String>,
    /// Tables (and views) that stay, changed in place.
    pub altered: Vec<String>,
    /// Views of `before` dropped first (and created again when they stay).
    pub old_views: BTreeSet<String>,
    /// Views of `after` created last.
    pub new_views: BTreeSet<String>,
    /// Foreign keys dropped first: (entity in `before`, relation).
    pub dropped_relations: Vec<(String, Relation)>,
    /// Foreign keys added last: (entity in `after`, relation).
    pub added_relations: Vec<(String, Relation)>,
}

impl TablePlan {
    /// The entities the changes create, drop and alter, and `also` altered
    /// (entities of `after`, the tables of an enum that changes). A table
    /// that becomes a view (or the other way round) is dropped and created.
    pub fn new(cx: &Cx<'_>, also: BTreeSet<String>) -> Self {
        let mut plan = Self {
            created: Vec::new(),
            dropped: Vec::new(),
            altered: Vec::new(),
            old_views: BTreeSet::new(),
            new_views: BTreeSet::new(),
            dropped_relations: Vec::new(),
            added_relations: Vec::new(),
        };
        let mut altered = also;
        for change in cx.changes {
            match &change.kind {
                ChangeKind::AddEntity { entity } => plan.created.push(entity.clone()),
                ChangeKind::DropEntity { entity } => plan.dropped.push(entity.clone()),
                kind => {
                    if let Some(entity) = super::change_entity(kind) {
                        altered.insert(entity.to_owned());
                    }
                }
            }
        }
        for name in altered {
            if plan.created.contains(&name) {
                continue;
            }
            let old_kind = cx.old_entity(&name).map(|e| e.kind);
            let new_kind = cx.after.entities.get(&name).map(|e| e.kind);
            if old_kind.is_some() && new_kind.is_some() && old_kind != new_kind {
                plan.dropped.push(cx.old_entity_name(&name).to_owned());
                plan.created.push(name);
            } else if new_kind.is_some() {
                plan.altered.push(name);
            }
        }
        plan
    }

    /// The views to drop: those that read one of `touched` (tables of
    /// `before`), directly or through another view, and those that change or
    /// go; the views to create: those dropped that stay, and the new and
    /// changed ones.
    pub fn find_views(&mut self, cx: &Cx<'_>, touched: &BTreeSet<String>) {
        self.old_views = views_using(cx.before, touched);
        for name in self.altered.iter().chain(&self.dropped) {
            let old_name = cx.old_entity_name(name).to_owned();
            if cx.before.entities.get(&old_name).is_some_and(is_view) {
                self.old_views.insert(old_name);
            }
        }
        for name in &self.dropped {
            if cx.before.entities.get(name).is_some_and(is_view) {
                self.old_views.insert(name.clone());
            }
        }
        for (name, entity) in &cx.after.entities {
            if !is_view(entity) {
                continue;
            }
            let old_name = cx.old_entity_name(name).to_owned();
            let recreated = self.old_views.contains(&old_name) && !self.dropped.contains(&old_name)
                || self.created.contains(name)
                || self.altered.contains(name);
            if recreated {
                self.new_views.insert(name.clone());
            }
        }
    }

    /// The foreign keys the changes drop and add (see
    /// [`Cx::moved_relations`]).
    pub fn find_relations(&mut self, cx: &Cx<'_>) {
        (self.dropped_relations, self.added_relations) = cx.moved_relations(&self.dropped);
    }

    /// Drops `relation` of `entity` (as in `before`) first, once.
    pub fn drop_relation(&mut self, entity: &str, relation: &Relation) {
        if !self
            .dropped_relations
            .iter()
            .any(|(n, r)| n == entity && r == relation)
        {
            self.dropped_relations
                .push((entity.to_owned(), relation.clone()));
        }
    }

    /// Adds again the foreign keys dropped only to let a key or column
    /// change, and those of new tables (see [`Cx::restore_relations`]).
    pub fn restore_relations(&mut self, cx: &Cx<'_>) {
        cx.restore_relations(
            &self.dropped,
            &self.created,
            &self.dropped_relations,
            &mut self.added_relations,
        );
    }

    /// `(entity, change)` for the entities changed in place.
    pub fn changes_of_altered<'c>(&self, cx: &Cx<'c>) -> Vec<(String, &'c ChangeKind)> {
        self.altered
            .iter()
            .flat_map(|name| {
                cx.changes_of(name)
                    .into_iter()
                    .map(move |kind| (name.clone(), kind))
            })
            .collect()
    }
}
