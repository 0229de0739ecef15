//! Model → canonical `baas.toml` text.
//!
//! Canonical means: the same model always gives the same bytes. Sections come
//! in a fixed order (`[manifest]`, `[project]`, `[source]`, enums, entities),
//! enums and entities sorted by name, fields in source order, one field per
//! line as an inline table with its keys in a fixed order (type and its
//! modifiers, then nullability, default and generation, then the rest). Nothing is aligned,
//! so adding a field changes exactly one line of a diff.

use std::fmt::Write as _;

use indexmap::IndexMap;

use super::model::*;

/// Renders `manifest` as canonical TOML.
pub fn to_toml(manifest: &Manifest) -> String {
    let mut out = String::new();
    out.push_str("[manifest]\n");
    line(&mut out, "format", &manifest.format.to_string());
    line(&mut out, "version", &manifest.version.to_string());

    if let Some(name) = &manifest.project.name {
        out.push_str("\n[project]\n");
        line(&mut out, "name", &string(name));
    }

    if let Some(source) = &manifest.source {
        out.push_str("\n[source]\n");
        line(&mut out, "engine", &string(source.engine.as_str()));
        if let Some(url) = &source.url {
            line(&mut out, "url", &string(url));
        }
        if !source.schemas.is_empty() {
            line(&mut out, "schemas", &strings(&source.schemas));
        }
    }

    for (name, enumeration) in &manifest.enums {
        let _ = writeln!(out, "\n[enums.{}]", key(name));
        line(&mut out, "values", &strings(&enumeration.values));
        optional(&mut out, "native", enumeration.native.as_deref());
        optional(&mut out, "schema", enumeration.schema.as_deref());
        if let Some(comment) = &enumeration.comment {
            line(&mut out, "comment", &block_string(comment));
        }
    }

    for (name, entity) in &manifest.entities {
        entity_section(&mut out, name, entity);
    }

    engine_objects(&mut out, "postgres", &manifest.postgres);

    if let Some(api) = &manifest.api {
        out.push_str("\n[api]\n");
        optional(&mut out, "base_url", api.base_url.as_deref());
        if !api.cors_origins.is_empty() {
            line(&mut out, "cors_origins", &strings(&api.cors_origins));
        }
        if !api.hosts.is_empty() {
            line(&mut out, "hosts", &strings(&api.hosts));
        }
        if !api.trusted_proxies.is_empty() {
            line(&mut out, "trusted_proxies", &strings(&api.trusted_proxies));
        }
        for (key, value) in [
            ("header_timeout_seconds", api.header_timeout_seconds),
            ("request_timeout_seconds", api.request_timeout_seconds),
            ("max_connections", api.max_connections),
            ("rate_limit_per_ip", api.rate_limit_per_ip),
            ("rate_limit_per_user", api.rate_limit_per_user),
            ("login_attempts_per_minute", api.login_attempts_per_minute),
        ] {
            if let Some(value) = value {
                line(&mut out, key, &value.to_string());
            }
        }
        match api.postgrest.as_deref() {
            Some(super::model::POSTGREST_PATH) => line(&mut out, "postgrest", "true"),
            Some(path) => line(&mut out, "postgrest", &string(path)),
            None => {}
        }
        if api.unfiltered_writes {
            line(&mut out, "unfiltered_writes", "true");
        }
        if let Some(upstream) = &api.upstream {
            upstream_section(&mut out, upstream);
        }
        for operation in &api.operations {
            out.push_str("\n[[api.operations]]\n");
            line(&mut out, "method", &string(&operation.method));
            line(&mut out, "path", &string(&operation.path));
            optional(&mut out, "id", operation.id.as_deref());
            optional(&mut out, "entity", operation.entity.as_deref());
            optional(&mut out, "summary", operation.summary.as_deref());
            operation_serving(&mut out, operation);
            if let Some(graphql) = &operation.graphql {
                graphql_section(&mut out, graphql);
            }
        }
    }
    if let Some(auth) = &manifest.auth {
        auth_section(&mut out, auth);
    }
    if let Some(tenancy) = &manifest.tenancy {
        tenancy_section(&mut out, tenancy);
    }
    for hook in &manifest.hooks {
        out.push_str("\n[[hooks]]\n");
        line(&mut out, "on", &string(&hook.on));
        line(&mut out, "run", &string(&hook.run));
        for (key, value) in [
            ("timeout_ms", hook.timeout_ms),
            ("memory_mb", hook.memory_mb),
        ] {
            if let Some(value) = value {
                line(&mut out, key, &value.to_string());
            }
        }
    }
    if let Some(realtime) = &manifest.realtime {
        out.push_str("\n[realtime]\n");
        line(&mut out, "external", &realtime.external.to_string());
    }
    for webhook in &manifest.webhooks {
        webhook_section(&mut out, webhook);
    }
    out
}

fn webhook_section(out: &mut String, webhook: &Webhook) {
    out.push_str("\n[[webhooks]]\n");
    optional(out, "name", webhook.name.as_deref());
    line(out, "on", &strings(&webhook.on));
    line(out, "url", &string(&webhook.url));
    optional(out, "secret", webhook.secret.as_deref());
    if let Some(attempts) = webhook.max_attempts {
        line(out, "max_attempts", &attempts.to_string());
    }
    if let Some(seconds) = webhook.timeout_seconds {
        line(out, "timeout_seconds", &seconds.to_string());
    }
}

fn tenancy_section(out: &mut String, tenancy: &Tenancy) {
    out.push_str("\n[tenancy]\n");
    line(out, "strategy", &string(tenancy.strategy.as_str()));
    if !tenancy.resolve.is_empty() {
        line(out, "resolve", &strings(&tenancy.resolve));
    }
    optional(out, "registry", tenancy.registry.as_deref());
    optional(out, "url", tenancy.url.as_deref());
    optional(out, "column", tenancy.column.as_deref());
    for (key, value) in [
        ("max_pools", tenancy.max_pools),
        ("idle_seconds", tenancy.idle_seconds),
    ] {
        if let Some(value) = value {
            line(out, key, &value.to_string());
        }
    }
    optional(out, "admin", tenancy.admin.as_deref());
}

fn auth_section(out: &mut String, auth: &Auth) {
    out.push_str("\n[auth]\n");
    optional(out, "jwt_secret", auth.jwt_secret.as_deref());
    optional(out, "public_key", auth.public_key.as_deref());
    optional(out, "jwks", auth.jwks.as_deref());
    if !auth.algorithms.is_empty() {
        line(out, "algorithms", &strings(&auth.algorithms));
    }
    optional(out, "issuer", auth.issuer.as_deref());
    optional(out, "audience", auth.audience.as_deref());
    if let Some(seconds) = auth.leeway_seconds {
        line(out, "leeway_seconds", &seconds.to_string());
    }
    optional(out, "service_key", auth.service_key.as_deref());
    if auth.claims != AuthClaims::default() {
        line(
            out,
            "claims",
            &inline_table(&[
                ("id", string(&auth.claims.id)),
                ("role", string(&auth.claims.role)),
                ("tenant", string(&auth.claims.tenant)),
            ]),
        );
    }
    if let Some(users) = &auth.users {
        line(
            out,
            "users",
            &inline_table(&[
                ("entity", string(&users.entity)),
                ("email", string(&users.email)),
                ("password", string(&users.password)),
            ]),
        );
    }
    if auth.rls {
        line(out, "rls", "true");
    }
    optional(out, "service_role", auth.service_role.as_deref());
    optional(out, "user_role", auth.user_role.as_deref());
}

/// `[<engine>.extensions]` and one `[[<engine>.<section>]]` per object, in
/// a fixed order of sections and the model's order within each.
fn engine_objects(out: &mut String, engine: &str, objects: &EngineObjects) {
    if !objects.extensions.is_empty() {
        let _ = writeln!(out, "\n[{engine}.extensions]");
        for (name, extension) in &objects.extensions {
            let mut pairs = Vec::new();
            if let Some(schema) = &extension.schema {
                pairs.push(("schema", string(schema)));
            }
            if let Some(version) = &extension.version {
                pairs.push(("version", string(version)));
            }
            line(out, &key(name), &inline_table(&pairs));
        }
    }
    for &section in ObjectKind::SECTIONS {
        for object in objects
            .objects
            .iter()
            .filter(|o| o.kind.section() == section)
        {
            let _ = writeln!(out, "\n[[{engine}.{section}]]");
            line(out, "name", &string(&object.name));
            if section == "functions" && object.kind != ObjectKind::Function {
                line(out, "kind", &string(object.kind.as_str()));
            }
            if !object.depends_on.is_empty() {
                line(out, "depends_on", &strings(&object.depends_on));
            }
            optional(out, "owned_by", object.owned_by.as_deref());
            if let Some(comment) = &object.comment {
                line(out, "comment", &block_string(comment));
            }
            line(out, "sql", &block_string(&object.sql));
        }
    }
}

fn entity_section(out: &mut String, name: &str, entity: &Entity) {
    let header = format!("entities.{}", key(name));
    let _ = writeln!(out, "\n[{header}]");
    line(out, "table", &string(&entity.table));
    optional(out, "schema", entity.schema.as_deref());
    if entity.kind != EntityKind::Table {
        line(out, "kind", &string(entity.kind.as_str()));
    }
    if !entity.primary_key.is_empty() {
        line(out, "primary_key", &strings(&entity.primary_key));
    }
    optional(out, "primary_key_name", entity.primary_key_name.as_deref());
    if !entity.primary_key_include.is_empty() {
        line(
            out,
            "primary_key_include",
            &strings(&entity.primary_key_include),
        );
    }
    if !entity.primary_key_with.is_empty() {
        line(out, "primary_key_with", &strings(&entity.primary_key_with));
    }
    optional(
        out,
        "primary_key_comment",
        entity.primary_key_comment.as_deref(),
    );
    if entity.without_rowid {
        line(out, "without_rowid", "true");
    }
    if entity.strict {
        line(out, "strict", "true");
    }
    if entity.row_level_security {
        line(out, "row_level_security", "true");
    }
    if entity.force_row_level_security {
        line(out, "force_row_level_security", "true");
    }
    optional(out, "collation", entity.collation.as_deref());
    if entity.unlogged {
        line(out, "unlogged", "true");
    }
    optional(out, "replica_identity", entity.replica_identity.as_deref());
    optional(out, "cluster_on", entity.cluster_on.as_deref());
    optional(out, "row_format", entity.row_format.as_deref());
    if !entity.storage_parameters.is_empty() {
        line(out, "with", &strings(&entity.storage_parameters));
    }
    optional(out, "partition_by", entity.partition_by.as_deref());
    if !entity.inherits.is_empty() {
        line(out, "inherits", &strings(&entity.inherits));
    }
    if let Some(comment) = &entity.comment {
        line(out, "comment", &block_string(comment));
    }
    if let Some(definition) = &entity.definition {
        line(out, "definition", &block_string(definition));
    }
    optional(out, "renamed_from", entity.renamed_from.as_deref());
    if !entity.policies.is_empty() {
        line(out, "policies", &strings(&entity.policies));
    }

    let _ = writeln!(out, "\n[{header}.fields]");
    for (field_name, field) in &entity.fields {
        line(out, &key(field_name), &field_table(field));
    }

    write_indexes(out, &header, &entity.indexes);

    for partition in &entity.partitions {
        let _ = writeln!(out, "\n[[{header}.partitions]]");
        line(out, "table", &string(&partition.table));
        optional(out, "schema", partition.schema.as_deref());
        optional(out, "of", partition.of.as_deref());
        line(out, "bound", &string(&partition.bound));
        optional(out, "partition_by", partition.partition_by.as_deref());
        if !partition.primary_key.is_empty() {
            line(out, "primary_key", &strings(&partition.primary_key));
        }
        optional(
            out,
            "primary_key_name",
            partition.primary_key_name.as_deref(),
        );
        let partition_header = format!("{header}.partitions");
        write_uniques(out, &partition_header, &partition.uniques);
        write_exclusions(out, &partition_header, &partition.exclusions);
        write_indexes(out, &partition_header, &partition.indexes);
        write_checks(out, &partition_header, &partition.checks);
        write_relations(out, &partition_header, &partition.relations);
    }

    write_uniques(out, &header, &entity.uniques);

    write_checks(out, &header, &entity.checks);

    write_exclusions(out, &header, &entity.exclusions);

    write_relations(out, &header, &entity.relations);

    if !entity.rules.is_empty() {
        let _ = writeln!(out, "\n[{header}.rules]");
        for (action, rule) in entity.rules.iter() {
            line(out, action, &string(rule));
        }
    }
}

fn write_indexes(out: &mut String, header: &str, indexes: &[Index]) {
    for index in indexes {
        let _ = writeln!(out, "\n[[{header}.indexes]]");
        line(out, "name", &string(&index.name));
        let parts: Vec<String> = index.fields.iter().map(index_part).collect();
        line(out, "fields", &format!("[{}]", parts.join(", ")));
        if index.unique {
            line(out, "unique", "true");
        }
        if let Some(predicate) = &index.predicate {
            line(out, "where", &string(predicate));
        }
        optional(out, "method", index.method.as_deref());
        if let Some(seconds) = index.expire_after_seconds {
            line(out, "expire_after_seconds", &seconds.to_string());
        }
        let options = &index.options;
        if !options.operator_classes.is_empty() {
            line(out, "operator_classes", &strings(&options.operator_classes));
        }
        key_options(
            out,
            &options.include,
            options.nulls_not_distinct,
            &options.storage_parameters,
        );
        if options.invisible {
            line(out, "invisible", "true");
        }
        optional(out, "comment", options.comment.as_deref());
    }
}

/// The `include`, `nulls_not_distinct` and `with` of an index or key.
fn key_options(out: &mut String, include: &[String], nulls_not_distinct: bool, with: &[String]) {
    if !include.is_empty() {
        line(out, "include", &strings(include));
    }
    if nulls_not_distinct {
        line(out, "nulls_not_distinct", "true");
    }
    if !with.is_empty() {
        line(out, "with", &strings(with));
    }
}

fn write_uniques(out: &mut String, header: &str, uniques: &[Unique]) {
    for unique in uniques {
        let _ = writeln!(out, "\n[[{header}.uniques]]");
        optional(out, "name", unique.name.as_deref());
        line(out, "fields", &strings(&unique.fields));
        let options = &unique.options;
        key_options(
            out,
            &options.include,
            options.nulls_not_distinct,
            &options.storage_parameters,
        );
        optional(out, "comment", options.comment.as_deref());
    }
}

fn write_exclusions(out: &mut String, header: &str, exclusions: &[Exclusion]) {
    for exclusion in exclusions {
        let _ = writeln!(out, "\n[[{header}.exclusions]]");
        line(out, "name", &string(&exclusion.name));
        line(out, "sql", &block_string(&exclusion.sql));
        optional(out, "comment", exclusion.comment.as_deref());
    }
}

fn write_checks(out: &mut String, header: &str, checks: &[Check]) {
    for check in checks {
        let _ = writeln!(out, "\n[[{header}.checks]]");
        optional(out, "name", check.name.as_deref());
        line(out, "sql", &block_string(&check.sql));
        if check.inherited {
            line(out, "inherited", "true");
        }
        if check.no_inherit {
            line(out, "no_inherit", "true");
        }
        optional(out, "comment", check.comment.as_deref());
    }
}

fn write_relations(out: &mut String, header: &str, relations: &[Relation]) {
    for relation in relations {
        let _ = writeln!(out, "\n[[{header}.relations]]");
        optional(out, "name", relation.name.as_deref());
        line(out, "fields", &strings(&relation.fields));
        line(
            out,
            "references",
            &format!(
                "{{ entity = {}, fields = {} }}",
                string(&relation.references.entity),
                strings(&relation.references.fields)
            ),
        );
        if relation.on_delete != ReferentialAction::NoAction {
            line(out, "on_delete", &string(relation.on_delete.as_str()));
        }
        if relation.on_update != ReferentialAction::NoAction {
            line(out, "on_update", &string(relation.on_update.as_str()));
        }
        if relation.deferred {
            line(out, "deferred", "true");
        } else if relation.deferrable {
            line(out, "deferrable", "true");
        }
        optional(out, "comment", relation.comment.as_deref());
    }
}

/// A field as one inline table, keys in the model's order.
fn field_table(field: &Field) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("type", string(field.ty.as_str()))];
    // Type modifiers first, then nullability and values, then the rest;
    // the order is part of the canonical form.
    if let Some(enum_name) = &field.enum_name {
        pairs.push(("enum", string(enum_name)));
    }
    if let Some(items) = &field.items {
        pairs.push(("items", field_table(items)));
    }
    for (name, value) in [
        ("max_length", field.max_length),
        ("precision", field.precision),
        ("scale", field.scale),
    ] {
        if let Some(value) = value {
            pairs.push((name, value.to_string()));
        }
    }
    if let Some(native) = &field.native {
        pairs.push(("native", string(native)));
    }
    if let Some(column) = &field.column {
        pairs.push(("column", string(column)));
    }
    if field.nullable {
        pairs.push(("nullable", "true".into()));
    }
    if field.optional {
        pairs.push(("optional", "true".into()));
    }
    match &field.default {
        Some(DefaultValue::Literal(literal)) => pairs.push(("default", literal_value(literal))),
        Some(DefaultValue::Sql { sql }) => {
            pairs.push(("default", format!("{{ sql = {} }}", string(sql))))
        }
        None => {}
    }
    if let Some(on_update) = &field.on_update {
        pairs.push(("on_update", string(on_update)));
    }
    if field.invisible {
        pairs.push(("invisible", "true".into()));
    }
    match &field.generated {
        Some(Generated::Kind(kind)) => pairs.push(("generated", string(kind.as_str()))),
        Some(Generated::Computed { sql, stored }) => pairs.push((
            "generated",
            format!("{{ sql = {}, stored = {stored} }}", string(sql)),
        )),
        None => {}
    }
    if let Some(options) = &field.identity_options {
        pairs.push(("identity_options", string(options)));
    }
    if let Some(comment) = &field.sequence_comment {
        pairs.push(("sequence_comment", string(comment)));
    }
    if field.unique {
        pairs.push(("unique", "true".into()));
    }
    if field.inherited {
        pairs.push(("inherited", "true".into()));
    }
    if let Some(collation) = &field.collation {
        pairs.push(("collation", string(collation)));
    }
    if let Some(comment) = &field.comment {
        pairs.push(("comment", string(comment)));
    }
    if let Some(fields) = &field.fields {
        pairs.push(("fields", nested_fields(fields)));
    }
    if let Some(renamed_from) = &field.renamed_from {
        pairs.push(("renamed_from", string(renamed_from)));
    }
    inline_table(&pairs)
}

fn nested_fields(fields: &IndexMap<String, Field>) -> String {
    let pairs: Vec<(String, String)> = fields
        .iter()
        .map(|(name, field)| (key(name), field_table(field)))
        .collect();
    let pairs: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    inline_table(&pairs)
}

fn inline_table(pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return "{}".into();
    }
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("{{ {} }}", body.join(", "))
}

fn index_part(part: &IndexPart) -> String {
    match part {
        IndexPart::Field {
            field,
            order: None,
            collation: None,
            prefix_length: None,
        } => string(field),
        IndexPart::Field {
            field,
            order,
            collation,
            prefix_length,
        } => {
            let mut pairs = vec![("field", string(field))];
            if let Some(order) = order {
                pairs.push(("order", string(order.as_str())));
            }
            if let Some(collation) = collation {
                pairs.push(("collation", string(collation)));
            }
            if let Some(length) = prefix_length {
                pairs.push(("prefix_length", length.to_string()));
            }
            inline_table(&pairs)
        }
        IndexPart::Expression { sql, order } => {
            let mut pairs = vec![("sql", string(sql))];
            if let Some(order) = order {
                pairs.push(("order", string(order.as_str())));
            }
            inline_table(&pairs)
        }
    }
}

fn literal_value(literal: &Literal) -> String {
    match literal {
        Literal::Bool(value) => value.to_string(),
        Literal::Int(value) => value.to_string(),
        Literal::Float(value) => float(*value),
        Literal::String(value) => string(value),
        Literal::Array(items) => {
            let items: Vec<String> = items.iter().map(literal_value).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// A TOML float that reads back as the same `f64` (and as a float, not an integer).
fn float(value: f64) -> String {
    if value.is_nan() {
        "nan".into()
    } else if value.is_infinite() {
        if value > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        // `{:?}` is the shortest text that round-trips, and always has a `.` or an exponent.
        format!("{value:?}")
    }
}

fn line(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{key} = {value}");
}

fn optional(out: &mut String, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        line(out, key, &string(value));
    }
}

fn strings(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| string(v)).collect();
    format!("[{}]", items.join(", "))
}

/// A key, bare when TOML allows it, else quoted.
pub fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { name.to_owned() } else { string(name) }
}

/// A single-line basic string.
pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        escape_into(&mut out, c, false);
    }
    out.push('"');
    out
}

/// A multi-line basic string when `value` spans lines (view definitions,
/// long comments), else a single-line one.
fn block_string(value: &str) -> String {
    if !value.contains('\n') {
        return string(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    // The newline right after the opening quotes is not part of the value.
    out.push_str("\"\"\"\n");
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        // A lone `"` may stay as is; one that could start `"""`, or that
        // would touch the closing quotes, is escaped.
        if c == '"' && !matches!(chars.peek(), None | Some('"')) {
            out.push('"');
            continue;
        }
        escape_into(&mut out, c, true);
    }
    out.push_str("\"\"\"");
    out
}

fn escape_into(out: &mut String, c: char, multiline: bool) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' if multiline => out.push('\n'),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if c.is_control() => {
            let _ = write!(out, "\\u{:04X}", c as u32);
        }
        c => out.push(c),
    }
}

/// What an operation tells the HTTP store: action, query parameters,
/// pagination, rows key and error pointer.
fn operation_serving(out: &mut String, operation: &super::model::Operation) {
    optional(
        out,
        "action",
        operation.action.map(|action| action.as_str()),
    );
    if !operation.query.is_empty() {
        line(out, "query", &strings(&operation.query));
    }
    if let Some(pagination) = &operation.pagination {
        let mut parts = vec![format!("style = {}", string(pagination.style.as_str()))];
        for (key, value) in [
            ("limit", &pagination.limit),
            ("offset", &pagination.offset),
            ("page", &pagination.page),
            ("cursor", &pagination.cursor),
            ("next", &pagination.next),
        ] {
            if let Some(value) = value {
                parts.push(format!("{key} = {}", string(value)));
            }
        }
        line(out, "pagination", &format!("{{ {} }}", parts.join(", ")));
    }
    optional(out, "rows", operation.rows.as_deref());
    optional(out, "error", operation.error.as_deref());
}

/// `[api.operations.graphql]`, after the operation it belongs to.
fn graphql_section(out: &mut String, graphql: &super::model::GraphqlOperation) {
    let map = |entries: &indexmap::IndexMap<String, String>| {
        let pairs: Vec<(String, String)> = entries
            .iter()
            .map(|(name, value)| (key(name), string(value)))
            .collect();
        let pairs: Vec<(&str, String)> =
            pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        inline_table(&pairs)
    };
    out.push_str("\n[api.operations.graphql]\n");
    line(out, "operation", &string(graphql.operation.as_str()));
    line(out, "field", &string(&graphql.field));
    line(out, "arguments", &map(&graphql.arguments));
    line(out, "returns", &string(&graphql.returns));
    match graphql.key.as_slice() {
        [] => {}
        [one] => line(out, "key", &string(one)),
        several => line(out, "key", &strings(several)),
    }
    optional(out, "input", graphql.input.as_deref());
    if !graphql.input_fields.is_empty() {
        line(out, "input_fields", &strings(&graphql.input_fields));
    }
    optional(out, "filter", graphql.filter.as_deref());
    optional(out, "filter_or", graphql.filter_or.as_deref());
    if !graphql.operators.is_empty() {
        line(out, "operators", &map(&graphql.operators));
    }
    if graphql.connection {
        line(out, "connection", "true");
    }
    optional(out, "result", graphql.result.as_deref());
    if !graphql.paths.is_empty() {
        line(out, "paths", &map(&graphql.paths));
    }
    if let Some(order) = &graphql.order {
        let mut parts = vec![
            ("argument", string(&order.argument)),
            ("style", string(order.style.as_str())),
        ];
        if order.list {
            parts.push(("list", "true".to_owned()));
        }
        parts.push(("fields", strings(&order.fields)));
        if !order.values.is_empty() {
            parts.push(("values", map(&order.values)));
        }
        let named = [
            ("by", &order.by),
            ("direction", &order.direction),
            ("asc", &order.asc),
            ("desc", &order.desc),
        ];
        let nulls = super::model::Nulls::KEYS
            .iter()
            .copied()
            .zip(&order.nulls.0);
        for (name, value) in named.into_iter().chain(nulls) {
            if let Some(value) = value {
                parts.push((name, string(value)));
            }
        }
        line(out, "order", &inline_table(&parts));
    }
    optional(out, "count", graphql.count.as_deref());
    optional(out, "count_field", graphql.count_field.as_deref());
}

/// `[api.upstream]`.
fn upstream_section(out: &mut String, upstream: &super::model::Upstream) {
    out.push_str("\n[api.upstream]\n");
    for (key, value) in [
        ("timeout_seconds", upstream.timeout_seconds),
        ("max_concurrency", upstream.max_concurrency),
        ("retries", upstream.retries),
        ("max_pages", upstream.max_pages),
    ] {
        if let Some(value) = value {
            line(out, key, &value.to_string());
        }
    }
    if upstream.expose_errors {
        line(out, "expose_errors", "true");
    }
    if let Some(credentials) = &upstream.credentials {
        let mut parts = vec![format!("in = {}", string(credentials.location.as_str()))];
        for (key, value) in [("name", &credentials.name), ("value", &credentials.value)] {
            if let Some(value) = value {
                parts.push(format!("{key} = {}", string(value)));
            }
        }
        line(out, "credentials", &format!("{{ {} }}", parts.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_keys_are_escaped() {
        assert_eq!(key("film"), "film");
        assert_eq!(key("Order Details"), "\"Order Details\"");
        assert_eq!(key(""), "\"\"");
        assert_eq!(string("a\"b\\c\td\u{1}"), "\"a\\\"b\\\\c\\td\\u0001\"");
        assert_eq!(
            block_string("SELECT 1\r\nFROM \"t\""),
            "\"\"\"\nSELECT 1\\r\nFROM \"t\\\"\"\"\""
        );
        assert_eq!(block_string("a\n\"\"\"b"), "\"\"\"\na\n\\\"\\\"\"b\"\"\"");
        assert_eq!(float(4.99), "4.99");
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(1e100), "1e100");
    }
}
