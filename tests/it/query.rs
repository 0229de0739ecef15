//! The query language: parsing, typing and SQL/BSON building.
//!
//! Parsing and validation are checked against a manifest with one field of
//! every portable type; the SQL builders are snapshot per dialect and then
//! run against a real SQLite file and a real PostgreSQL database (a fresh
//! database per test), checking the rows that come back.

use std::fmt::Write as _;
use std::path::Path;

use baas::manifest::{Field, FieldType, Manifest};
use baas::query::sql::{self, SqlDialect};
use baas::query::{
    Filter, ListQuery, MAX_LIMIT, Op, QueryError, Value, WriteMode, parse_filter_json, parse_key,
    parse_query_body, parse_query_string, validate_body, value_from_json, value_from_text,
};
use indexmap::IndexMap;
use serde_json::json;

use crate::support::mongo::TempDatabase as MongoDatabase;
use crate::support::mysql::TempDatabase as MysqlDatabase;
use crate::support::postgres::TempDatabase as PostgresDatabase;
use crate::support::project_fixtures;
use crate::support::sqlite::TempDatabase as SqliteDatabase;

const SHOP: &str = r#"
[manifest]
format = 1
version = 1

[enums.mood]
values = ["happy", "sad", "it's complicated"]

[entities.maker]
table = "maker"
primary_key = ["id"]
[entities.maker.fields]
id = { type = "int64", generated = "identity" }
name = { type = "string", max_length = 40 }

[entities.item]
table = "item"
primary_key = ["id"]
[entities.item.fields]
id = { type = "int64", generated = "identity" }
name = { type = "string", max_length = 40 }
price = { type = "decimal", precision = 10, scale = 2 }
mood = { type = "enum", enum = "mood", nullable = true }
tags = { type = "array", items = { type = "string", max_length = 10 }, nullable = true }
meta = { type = "json", nullable = true }
ref = { type = "uuid", nullable = true }
born = { type = "date", nullable = true }
at = { type = "timestamptz", nullable = true }
local = { type = "timestamp", nullable = true }
alarm = { type = "time", nullable = true }
ok = { type = "bool", default = true }
ratio = { type = "float64", nullable = true }
small = { type = "int16", nullable = true }
blob = { type = "bytes", nullable = true }
label = { type = "string", column = "Label Text", nullable = true }
maker_id = { type = "int64", nullable = true }
address = { type = "object", nullable = true, fields = { city = { type = "string" }, zip = { type = "string", nullable = true } } }

[[entities.item.relations]]
fields = ["maker_id"]
references = { entity = "maker", fields = ["id"] }

[entities.pair]
table = "pair"
primary_key = ["a", "b"]
[entities.pair.fields]
a = { type = "int32" }
b = { type = "string" }
"#;

fn shop() -> Manifest {
    baas::manifest::load_str(Path::new("baas.toml"), SHOP.to_owned())
        .unwrap_or_else(|d| panic!("{}", baas::diagnostics::render_problems(&d, false)))
        .manifest
}

fn fixture(name: &str) -> Manifest {
    baas::manifest::load_file(&project_fixtures().join("manifests").join(name))
        .unwrap()
        .manifest
}

/// `a=1&b=2` as pairs (no percent-decoding: the tests write plain text).
fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

fn qs(manifest: &Manifest, entity: &str, query: &str) -> Result<ListQuery, QueryError> {
    parse_query_string(manifest, entity, &pairs(query))
}

/// A compact rendering of a filter: `(a eq 1 AND NOT b is null)`.
fn show(filter: &Filter) -> String {
    match filter {
        Filter::And(items) => format!(
            "({})",
            items.iter().map(show).collect::<Vec<_>>().join(" AND ")
        ),
        Filter::Or(items) => format!(
            "({})",
            items.iter().map(show).collect::<Vec<_>>().join(" OR ")
        ),
        Filter::Not(inner) => format!("NOT {}", show(inner)),
        Filter::Compare { field, op, value } => {
            format!("{field} {} {}", op_name(*op), show_value(value))
        }
        Filter::Exists { entity, filter, .. } => format!("EXISTS {entity} {}", show(filter)),
        Filter::Relate { left, op, right } => format!("{left} {} {right}", op_name(*op)),
        Filter::Json { path, op, value } => {
            format!("{path} {} {}", op_name(*op), show_value(value))
        }
    }
}

fn op_name(op: Op) -> String {
    serde_json::to_value(op)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn show_value(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => format!("{i}i"),
        Value::Float(f) => format!("{f:?}f"),
        Value::Decimal(d) => format!("{d}d"),
        Value::Text(t) => format!("{t:?}"),
        Value::Bytes(b) => format!("bytes{b:?}"),
        Value::Json(j) => format!("json{j}"),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(show_value).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn outcome(result: Result<ListQuery, QueryError>) -> String {
    match result {
        Ok(query) => {
            let mut out = match &query.filter {
                Some(filter) => show(filter),
                None => "-".to_owned(),
            };
            if let Some(select) = &query.select {
                write!(out, " select={}", select.join(",")).unwrap();
            }
            for order in &query.order {
                write!(
                    out,
                    " order={}{}{}",
                    order.field,
                    if order.descending { ".desc" } else { "" },
                    match order.nulls_first {
                        Some(true) => ".nullsfirst",
                        Some(false) => ".nullslast",
                        None => "",
                    }
                )
                .unwrap();
            }
            write!(out, " limit={} offset={}", query.limit, query.offset).unwrap();
            if query.count {
                out.push_str(" count");
            }
            for path in &query.expand {
                write!(out, " expand={}", path.join(".")).unwrap();
            }
            out
        }
        Err(error) => format!("ERROR at `{}`: {}", error.at, error.message),
    }
}

#[test]
fn query_strings_parse_into_one_filter_ast() {
    let manifest = shop();
    let cases = [
        "name=eq.Widget",
        "name=neq.Widget",
        "price=gt.10&price=lte.99.50",
        "small=gte.-3&small=lt.7",
        "mood=in.(happy,\"it's complicated\")",
        "mood=nin.()",
        "name=in.(\"a,b\",\"say \\\"hi\\\"\",plain)",
        "name=like.*dget*",
        "name=ilike.WID*",
        "mood=is.null",
        "ok=is.true",
        "ok=not.is.false",
        "name=not.eq.x",
        "tags=contains.{red,\"big, blue\"}",
        "tags=contains.[\"red\"]",
        "meta=contains.{\"a\":1}",
        "at=gt.2024-05-01T10:00:00Z&born=lt.2024-02-29",
        "ref=eq.0b3e3f2a-5bd5-4f6e-9e8a-1c2d3e4f5a6b",
        "or=(name.eq.a,price.gt.5)",
        "and=(name.eq.a,or(price.gt.5,mood.is.null),not.or(ok.is.true,small.eq.1))",
        "or=(name.not.eq.a,name.eq.\"x,(y)\")",
        "or=(address.city.eq.Paris,address.zip.is.null)",
        "address.city=eq.Paris",
        r#"where={"price":{"gt":"2.50","lt":10},"or":[{"mood":"happy"},{"mood":null}],"not":{"name":{"like":"a%"}}}"#,
        r#"where={"name":{"neq":null}}"#,
        r#"where={}"#,
        "name=eq.a&where={\"ok\":true}&or=(small.eq.1,small.eq.2)",
        "select=price,id,name&order=price.desc,name&limit=20&offset=40&count=exact",
        "select=*",
        "select=id,*",
        r#"where={}&select=*"#,
        "order=mood.nullsfirst,born.asc.nullslast,id.desc",
        "expand=maker",
        "expand=maker.item,maker",
        "limit=0",
        // errors
        "nope=eq.1",
        "name=equals.x",
        "name",
        "price=gt.abc",
        "price=gt.1e5",
        "ok=gt.true",
        "name=contains.x",
        "small=like.1*",
        "small=eq.40000",
        "small=eq.99999999999999999999999",
        "mood=eq.angry",
        "ref=eq.not-a-uuid",
        "born=eq.2023-02-29",
        "at=eq.2024-05-01T10:00:00",
        "ok=is.maybe",
        "name=is.true",
        "mood=in.happy",
        "meta=eq.{}",
        "or=(name.eq.a",
        "or=name.eq.a",
        "or=(nope.eq.1)",
        "or=(name.eq.\"open)",
        "or=(name.bogus.1)",
        "select=id,nope",
        "select=*,nope",
        "order=nope.desc",
        "order=meta",
        "limit=1001",
        "limit=-1",
        "offset=x",
        "count=planned",
        "expand=nope",
        "expand=maker.item.maker.item",
        r#"where={"name":{"regex":"x"}}"#,
        r#"where={"nope":1}"#,
        r#"where={"or":{"name":"a"}}"#,
        r#"where={"small":{"in":[1,"x"]}}"#,
        r#"where={"ok":{"gt":true}}"#,
        r#"where={"name":{}}"#,
        "where={not json",
        "name=not.not.eq.a",
        "or=(or(or(or(or(or(or(or(or(or(or(or(or(or(or(or(or(name.eq.a)))))))))))))))))",
        "or=(or(or(or(or(or(or(or(or(or(or(or(or(or(or(or(or(or(name.eq.a))))))))))))))))))",
        "where=[1]",
    ];
    let mut out = String::new();
    for case in cases {
        writeln!(out, "{case}\n  → {}", outcome(qs(&manifest, "item", case))).unwrap();
    }
    insta::assert_snapshot!(out);
}

#[test]
fn every_operator_is_reachable_from_both_forms() {
    let manifest = shop();
    let shorthand = [
        ("name=eq.a", Op::Eq),
        ("name=neq.a", Op::Neq),
        ("price=gt.1", Op::Gt),
        ("price=gte.1", Op::Gte),
        ("price=lt.1", Op::Lt),
        ("price=lte.1", Op::Lte),
        ("name=in.(a)", Op::In),
        ("name=nin.(a)", Op::Nin),
        ("name=like.a", Op::Like),
        ("name=ilike.a", Op::Ilike),
        ("name=is.null", Op::Is),
        ("tags=contains.{a}", Op::Contains),
    ];
    for (query, op) in shorthand {
        let parsed = qs(&manifest, "item", query).unwrap();
        let Some(Filter::Compare { op: found, .. }) = parsed.filter else {
            panic!("{query}: {:?}", parsed.filter)
        };
        assert_eq!(found, op, "{query}");
        let (field, operand) = query.split_once('=').unwrap();
        let (name, _) = operand.split_once('.').unwrap();
        let json_operand = match op {
            Op::In | Op::Nin => json!(["a"]),
            Op::Is => json!(null),
            Op::Contains => json!(["a"]),
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => json!(1),
            _ => json!("a"),
        };
        let filter =
            parse_filter_json(&manifest, "item", &json!({ field: { name: json_operand } }))
                .unwrap();
        let Filter::Compare { op: found, .. } = filter else {
            panic!("{query}: {filter:?}")
        };
        assert_eq!(found, op, "json form of {query}");
    }
}

#[test]
fn query_bodies_parse_like_query_strings() {
    let manifest = shop();
    let body = json!({
        "where": {"mood": {"in": ["happy", "sad"]}},
        "select": ["name", "id"],
        "order": ["price.desc", "name"],
        "limit": 20,
        "offset": 0,
        "count": "exact",
        "expand": ["maker"]
    });
    let from_body = parse_query_body(&manifest, "item", &body).unwrap();
    let from_string = qs(
        &manifest,
        "item",
        "mood=in.(happy,sad)&select=name,id&order=price.desc,name&limit=20&count=exact&expand=maker",
    )
    .unwrap();
    assert_eq!(from_body, from_string);
    assert_eq!(from_body.select.as_deref().unwrap(), ["id", "name"]);

    let errors = [
        (json!([]), "body"),
        (json!({"limit": MAX_LIMIT + 1}), "limit"),
        (json!({"limit": "ten"}), "limit"),
        (json!({"select": ["nope"]}), "select"),
        (json!({"select": []}), "select"),
        (json!({"filter": {}}), "filter"),
        (json!({"count": 3}), "count"),
        (json!({"where": {"price": {"gt": "abc"}}}), "where.price.gt"),
        (json!({"expand": ["nope"]}), "expand"),
    ];
    for (body, at) in errors {
        let error = parse_query_body(&manifest, "item", &body).unwrap_err();
        assert_eq!(error.at, at, "{body}: {error}");
    }
    let default = parse_query_body(&manifest, "item", &json!({})).unwrap();
    assert_eq!(default.limit, baas::query::DEFAULT_LIMIT);
    assert!(default.filter.is_none());
}

#[test]
fn errors_name_the_field_and_the_operator() {
    let manifest = shop();
    let error = qs(&manifest, "item", "colour=eq.red").unwrap_err();
    assert_eq!(error.at, "colour");
    assert!(error.message.contains("`colour`"), "{error}");
    let error = qs(&manifest, "item", "name=resembles.x").unwrap_err();
    assert!(error.message.contains("`resembles`") && error.message.contains("`name`"));
    let error = qs(&manifest, "item", "price=gt.abc").unwrap_err();
    assert_eq!(error.at, "price");
    assert!(error.message.contains("`price`"), "{error}");
    let error = qs(&manifest, "item", "ok=gt.true").unwrap_err();
    assert!(
        error.message.contains("`gt`") && error.message.contains("bool"),
        "{error}"
    );
    let error = qs(&manifest, "item", "limit=5000").unwrap_err();
    assert_eq!(error.at, "limit");
    assert!(error.message.contains("1000"), "{error}");
    let error = parse_filter_json(&manifest, "item", &json!({"and": [{"x": 1}]})).unwrap_err();
    assert_eq!(error.at, "where.and[0].x");
    let error = qs(&manifest, "nothing", "").unwrap_err();
    assert!(error.message.contains("`nothing`"));
}

#[test]
fn keys_are_split_decoded_and_typed() {
    let manifest = shop();
    assert_eq!(
        parse_key(&manifest, "item", "42").unwrap(),
        [Value::Int(42)]
    );
    assert_eq!(
        parse_key(&manifest, "pair", "7,a%2Cb%2Fc").unwrap(),
        [Value::Int(7), Value::Text("a,b/c".into())]
    );
    assert_eq!(
        parse_key(&manifest, "pair", "7,caf%C3%A9").unwrap(),
        [Value::Int(7), Value::Text("café".into())]
    );
    for (entity, id, at) in [
        ("item", "x", "id"),
        ("item", "1,2", "id"),
        ("pair", "7", "id"),
        ("pair", "x,y", "a"),
        ("pair", "1,%zz", "id"),
        ("pair", "99999999999,a", "a"),
    ] {
        let error = parse_key(&manifest, entity, id).unwrap_err();
        assert_eq!(error.at, at, "{entity}/{id}: {error}");
    }
}

/// Every portable type, from JSON and from text: what is accepted and what
/// is refused, with the message.
#[test]
fn values_are_typed_by_every_portable_type() {
    let cases: &[(FieldType, serde_json::Value)] = &[
        (FieldType::Bool, json!(true)),
        (FieldType::Bool, json!("true")),
        (FieldType::Int16, json!(32767)),
        (FieldType::Int16, json!(32768)),
        (FieldType::Int32, json!(-2147483648)),
        (FieldType::Int32, json!(2147483648_i64)),
        (FieldType::Int64, json!(9223372036854775807_i64)),
        (FieldType::Int64, json!(9223372036854775808_u64)),
        (FieldType::Int64, json!(1e30)),
        (FieldType::Int64, json!(1.5)),
        (FieldType::Int64, json!("12")),
        (FieldType::Float32, json!(1.5)),
        (FieldType::Float32, json!(1e39)),
        (FieldType::Float64, json!(1e300)),
        (FieldType::Float64, json!("1")),
        (
            FieldType::Decimal,
            json!("123456789012345678901234567890.123456789"),
        ),
        (FieldType::Decimal, json!(4.99)),
        (FieldType::Decimal, json!("4,99")),
        (FieldType::Decimal, json!("1e5")),
        (FieldType::String, json!("héllo 👋")),
        (FieldType::String, json!(5)),
        (FieldType::Text, json!("'; DROP TABLE film; --")),
        (
            FieldType::Uuid,
            json!("0B3E3F2A-5BD5-4F6E-9E8A-1C2D3E4F5A6B"),
        ),
        (FieldType::Uuid, json!("0b3e3f2a5bd54f6e9e8a1c2d3e4f5a6b")),
        (FieldType::Date, json!("2024-02-29")),
        (FieldType::Date, json!("2024-13-01")),
        (FieldType::Time, json!("23:59:59.123456")),
        (FieldType::Time, json!("7:00")),
        (FieldType::Timestamp, json!("2024-05-01T10:00:00")),
        (FieldType::Timestamp, json!("2024-05-01T10:00:00Z")),
        (FieldType::Timestamptz, json!("2024-05-01T10:00:00+02:00")),
        (FieldType::Timestamptz, json!("2024-05-01T10:00:00")),
        (FieldType::Interval, json!("1 day")),
        (FieldType::Json, json!({"a": [1, null]})),
        (FieldType::Bytes, json!("aGk=")),
        (FieldType::Bytes, json!("not base64!")),
        (FieldType::ObjectId, json!("65a1b2c3d4e5f6a7b8c9d0e1")),
        (FieldType::ObjectId, json!("65a1")),
        (FieldType::Enum, json!("happy")),
        (FieldType::Enum, json!(1)),
        (FieldType::Native, json!("10.0.0.1/8")),
        (FieldType::Object, json!({"city": "Paris"})),
        (FieldType::Object, json!("Paris")),
        (FieldType::Array, json!(["a", "b"])),
        (FieldType::Array, json!(["a", 1])),
        (FieldType::Array, json!("a")),
        (FieldType::Bool, json!(null)),
    ];
    let mut out = String::new();
    for (ty, json) in cases {
        let mut field = Field::new(*ty);
        if *ty == FieldType::Array {
            field.items = Some(Box::new(Field::new(FieldType::String)));
        }
        let from_json = match value_from_json(&field, json) {
            Ok(value) => show_value(&value),
            Err(message) => format!("ERROR {message}"),
        };
        let text = match json {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let from_text = match value_from_text(&field, &text) {
            Ok(value) => show_value(&value),
            Err(message) => format!("ERROR {message}"),
        };
        writeln!(
            out,
            "{ty} {json}\n  json → {from_json}\n  text → {from_text}"
        )
        .unwrap();
    }
    insta::assert_snapshot!(out);
}

#[test]
fn bodies_report_every_field_error_with_its_code() {
    let manifest = shop();
    let body = json!({
        "id": 5,
        "name": "x".repeat(41),
        "price": "123456789.999",
        "mood": "angry",
        "tags": ["ok", "much too long a tag", null],
        "ref": "nope",
        "ok": null,
        "small": 70000,
        "colour": "red"
    });
    let errors = validate_body(&manifest, "item", &body, WriteMode::Insert).unwrap_err();
    insta::assert_json_snapshot!(errors);
    let codes: Vec<&str> = errors.iter().map(|e| e.code).collect();
    for code in [
        "unknown",
        "read_only",
        "max_length",
        "range",
        "enum",
        "type",
        "null",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }

    let missing = validate_body(&manifest, "item", &json!({}), WriteMode::Insert).unwrap_err();
    let required: Vec<&str> = missing
        .iter()
        .filter(|e| e.code == "required")
        .map(|e| e.field.as_str())
        .collect();
    assert_eq!(required, ["name", "price"]);
    let replace =
        validate_body(&manifest, "item", &json!({"name": "a"}), WriteMode::Replace).unwrap_err();
    assert_eq!(replace.len(), 1);
    assert_eq!(
        (replace[0].field.as_str(), replace[0].code),
        ("price", "required")
    );
    assert!(
        validate_body(&manifest, "item", &json!({}), WriteMode::Patch)
            .unwrap()
            .is_empty()
    );

    // Field order, not body order; every value typed.
    let values = validate_body(
        &manifest,
        "item",
        &json!({"price": 4.5, "name": "Widget ✓", "mood": null, "tags": ["a"], "blob": "aGk="}),
        WriteMode::Insert,
    )
    .unwrap();
    assert_eq!(
        values.keys().collect::<Vec<_>>(),
        ["name", "price", "mood", "tags", "blob"]
    );
    assert_eq!(values["price"], Value::Decimal("4.5".into()));
    assert_eq!(values["blob"], Value::Bytes(b"hi".to_vec()));
    assert_eq!(values["tags"], Value::List(vec![Value::Text("a".into())]));

    // Objects are validated field by field, named by path.
    let nested = validate_body(
        &manifest,
        "item",
        &json!({"name": "a", "price": "1", "address": {"zip": 75001, "country": "FR"}}),
        WriteMode::Insert,
    )
    .unwrap_err();
    let found: Vec<(&str, &str)> = nested.iter().map(|e| (e.field.as_str(), e.code)).collect();
    assert_eq!(
        found,
        [
            ("address.country", "unknown"),
            ("address.city", "required"),
            ("address.zip", "type")
        ]
    );

    let not_object = validate_body(&manifest, "item", &json!([1]), WriteMode::Insert).unwrap_err();
    assert_eq!(not_object[0].code, "type");
    // max_length counts characters, not bytes.
    assert!(
        validate_body(
            &manifest,
            "item",
            &json!({"name": "é".repeat(40), "price": "1"}),
            WriteMode::Insert
        )
        .is_ok()
    );
}

#[test]
fn bodies_of_the_kitchen_sink_validate() {
    let manifest = fixture("kitchen_sink.toml");
    let errors = validate_body(
        &manifest,
        "order",
        &json!({"id": 1, "code": "1234567890123", "amount": "12.345", "big": "1"}),
        WriteMode::Insert,
    )
    .unwrap_err();
    let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
    assert_eq!(
        found,
        [
            ("id", "read_only"),
            ("code", "max_length"),
            ("amount", "range"),
            ("big", "type")
        ]
    );
}

// ---- SQL ----

fn sql_for_all(build: impl Fn(SqlDialect) -> Result<sql::Statement, QueryError>) -> String {
    let mut out = String::new();
    for (name, dialect) in [
        ("postgres", SqlDialect::Postgres),
        ("mysql", SqlDialect::Mysql),
        ("sqlite", SqlDialect::Sqlite),
    ] {
        let (sql, values) = build(dialect).unwrap();
        writeln!(out, "-- {name}\n{sql}\n{:?}", values.0).unwrap();
    }
    out
}

#[test]
fn sql_per_dialect() {
    let manifest = shop();
    let list = qs(
        &manifest,
        "item",
        "name=ilike.*wid*&price=gte.2.50&mood=in.(happy,sad)&or=(ok.is.true,at.gt.2024-05-01T10:00:00+02:00,born.is.null)&tags=contains.{red}&meta=contains.[1]&order=price.desc.nullslast,label&limit=20&offset=40&select=id,name,price,at,tags,label",
    )
    .unwrap();
    insta::assert_snapshot!(
        "select",
        sql_for_all(|d| sql::select(d, &manifest, "item", &list))
    );
    let empty_in = qs(&manifest, "item", "mood=in.()&name=not.like.a%25").unwrap();
    insta::assert_snapshot!(
        "count",
        sql_for_all(|d| sql::count(d, &manifest, "item", empty_in.filter.as_ref()))
    );
    let key = parse_key(&manifest, "pair", "7,x").unwrap();
    insta::assert_snapshot!(
        "select_by_key",
        sql_for_all(|d| sql::select_by_key(d, &manifest, "pair", &key, None, false))
    );
    let values = validate_body(
        &manifest,
        "item",
        &json!({"name": "Widget", "price": "4.99", "mood": "happy", "tags": ["a", "b"],
                "meta": {"k": [1]}, "ref": "0b3e3f2a-5bd5-4f6e-9e8a-1c2d3e4f5a6b",
                "born": "2024-02-29", "at": "2024-05-01T01:00:00+02:00",
                "local": "2024-05-01T10:00:00", "label": null}),
        WriteMode::Insert,
    )
    .unwrap();
    insta::assert_snapshot!(
        "insert",
        sql_for_all(|d| sql::insert(d, &manifest, "item", &values))
    );
    insta::assert_snapshot!(
        "update_by_key",
        sql_for_all(|d| sql::update_by_key(d, &manifest, "item", &[Value::Int(3)], None, &values))
    );
    insta::assert_snapshot!(
        "delete_by_key",
        sql_for_all(|d| sql::delete_by_key(d, &manifest, "pair", &key, None))
    );
    // The kitchen sink: schema-qualified table, composite key, quoted names.
    let sink = fixture("kitchen_sink.toml");
    let query = qs(
        &sink,
        "audit_log",
        "at=lt.2024-01-01T00:00:00Z&order=at.desc",
    )
    .unwrap();
    insta::assert_snapshot!(
        "kitchen_sink",
        sql_for_all(|d| sql::select(d, &sink, "audit_log", &query))
            + &sql_for_all(|d| sql::select_by_key(
                d,
                &sink,
                "Order Details",
                &[Value::Int(1), Value::Int(2)],
                None,
                false,
            ))
    );
}

#[test]
fn dialects_refuse_what_they_cannot_run() {
    let manifest = shop();
    let path = qs(&manifest, "item", "address.city=eq.Paris").unwrap();
    for dialect in [SqlDialect::Postgres, SqlDialect::Mysql, SqlDialect::Sqlite] {
        let error = sql::check_supported(dialect, &manifest, "item", &path).unwrap_err();
        assert_eq!(error.at, "address.city");
    }
    let object = qs(&manifest, "item", "meta=contains.{\"a\":1}").unwrap();
    assert!(sql::check_supported(SqlDialect::Postgres, &manifest, "item", &object).is_ok());
    assert!(sql::check_supported(SqlDialect::Mysql, &manifest, "item", &object).is_ok());
    let error = sql::check_supported(SqlDialect::Sqlite, &manifest, "item", &object).unwrap_err();
    assert_eq!(error.at, "meta");
}

const HOSTILE: &[&str] = &[
    "'; DROP TABLE item; --",
    "\"; DROP TABLE item; --",
    "Robert'); DELETE FROM item WHERE ('1'='1",
    "\\'; SELECT 1; --",
    "$1 $$ ? ?? :name",
    "ünïcødé 👋 \u{0}",
    "*/ OR 1=1 /*",
];

#[test]
fn client_values_never_reach_sql_text() {
    let manifest = shop();
    for hostile in HOSTILE {
        let quoted = hostile.replace('"', "\\\"");
        let filter = parse_filter_json(
            &manifest,
            "item",
            &json!({"or": [{"name": hostile}, {"name": {"like": hostile}}, {"name": {"ilike": hostile}},
                   {"name": {"in": [hostile, "x"]}}, {"tags": {"contains": [hostile]}},
                   {"meta": {"contains": [hostile]}}, {"label": {"gt": hostile}}]}),
        )
        .unwrap();
        let shorthand = qs(
            &manifest,
            "item",
            &format!("or=(name.eq.\"{quoted}\",label.in.(\"{quoted}\"))"),
        )
        .unwrap();
        let values = validate_body(
            &manifest,
            "item",
            &json!({"name": hostile.chars().take(40).collect::<String>(), "price": "1", "meta": hostile, "tags": [hostile.chars().take(10).collect::<String>()]}),
            WriteMode::Insert,
        )
        .unwrap();
        for dialect in [SqlDialect::Postgres, SqlDialect::Mysql, SqlDialect::Sqlite] {
            let query = ListQuery {
                filter: Some(filter.clone()),
                ..qs(&manifest, "item", "").unwrap()
            };
            let statements = [
                sql::select(dialect, &manifest, "item", &query),
                sql::select(dialect, &manifest, "item", &shorthand),
                sql::count(dialect, &manifest, "item", Some(&filter)),
                sql::insert(dialect, &manifest, "item", &values),
                sql::update_by_key(dialect, &manifest, "item", &[Value::Int(1)], None, &values),
            ];
            if dialect == SqlDialect::Postgres && hostile.contains('\0') {
                // PostgreSQL cannot store NUL: refused before any SQL runs.
                for statement in statements {
                    let error = statement.unwrap_err();
                    assert!(error.message.contains("NUL"), "{error:?}");
                }
                continue;
            }
            for (sql, bound) in statements.map(Result::unwrap) {
                for needle in ["DROP", "DELETE", "ünï", "OR 1=1", "Robert", "$$", "; --"] {
                    assert!(!sql.contains(needle), "{dialect:?}: `{needle}` in {sql}");
                }
                let bound = format!("{:?}", bound.0);
                let marker = hostile
                    .split(|c: char| !c.is_alphanumeric())
                    .max_by_key(|word| word.len())
                    .unwrap();
                assert!(
                    bound.contains(marker),
                    "{dialect:?}: {hostile:?} is not among the bound values {bound}"
                );
            }
        }
    }
    // Huge numbers are refused before any SQL is built.
    assert!(qs(&manifest, "item", "small=eq.1e400").is_err());
    assert!(qs(&manifest, "item", "id=eq.99999999999999999999999999").is_err());
    assert!(qs(&manifest, "item", "ratio=eq.1e400").is_err());
}

// ---- execution: SQLite ----

fn sqlite_rows(
    connection: &rusqlite::Connection,
    statement: Result<sql::Statement, QueryError>,
) -> Vec<Vec<rusqlite::types::Value>> {
    let (sql, values) = statement.unwrap();
    let mut statement = connection
        .prepare(&sql)
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
    let columns = statement.column_count();
    let params = baas::serve::store::sqlite::sqlite_params(&values);
    let rows = statement
        .query_map(rusqlite::params_from_iter(params), |row| {
            (0..columns).map(|i| row.get(i)).collect()
        })
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
    rows.map(Result::unwrap).collect()
}

fn sqlite_ids(connection: &rusqlite::Connection, manifest: &Manifest, query: &str) -> Vec<i64> {
    let parsed = qs(manifest, "item", &format!("select=id&order=id&{query}")).unwrap();
    sql::check_supported(SqlDialect::Sqlite, manifest, "item", &parsed).unwrap();
    sqlite_rows(
        connection,
        sql::select(SqlDialect::Sqlite, manifest, "item", &parsed),
    )
    .into_iter()
    .map(|row| match row[0] {
        rusqlite::types::Value::Integer(id) => id,
        ref other => panic!("{other:?}"),
    })
    .collect()
}

const SQLITE_DDL: &str = r#"
CREATE TABLE maker (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE item (
  id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, price NUMERIC(10,2) NOT NULL,
  mood TEXT, tags JSON, meta JSON, ref UUID, born DATE, at TIMESTAMPTZ, local DATETIME,
  alarm TIME, ok BOOLEAN NOT NULL DEFAULT 1, ratio REAL, small SMALLINT, blob BLOB,
  "Label Text" VARCHAR, maker_id INTEGER REFERENCES maker (id), address JSON);
CREATE TABLE pair (a INT NOT NULL, b VARCHAR NOT NULL, PRIMARY KEY (a, b));
"#;

fn insert_items(mut insert: impl FnMut(&IndexMap<String, Value>), manifest: &Manifest) {
    let bodies = [
        json!({"name": "Widget", "price": "4.99", "mood": "happy", "tags": ["red", "big, blue"],
               "meta": {"a": 1, "list": [1, 2]}, "born": "2024-02-29",
               "at": "2024-05-01T01:00:00+02:00", "local": "2024-05-01T10:00:00", "ok": true,
               "small": 3, "label": "x", "ratio": 0.5}),
        json!({"name": "gadget", "price": "12.50", "mood": "it's complicated", "tags": ["red"],
               "meta": [1, "two"], "at": "2024-05-01T00:30:00Z", "ok": false, "small": -2,
               "ref": "0b3e3f2a-5bd5-4f6e-9e8a-1c2d3e4f5a6b"}),
        json!({"name": "'; DROP TABLE item; --", "price": "100", "ok": true,
               "blob": "AAEC", "alarm": "07:30:00"}),
        json!({"name": "50% off_", "price": "0.01", "mood": "sad", "tags": [], "ok": false}),
    ];
    for body in bodies {
        let values = validate_body(manifest, "item", &body, WriteMode::Insert)
            .unwrap_or_else(|e| panic!("{body}: {e:?}"));
        insert(&values);
    }
}

/// The filters run on both engines, with the ids they must return.
const RUN_CASES: &[(&str, &[i64])] = &[
    ("", &[1, 2, 3, 4]),
    ("name=eq.Widget", &[1]),
    ("name=eq.'; DROP TABLE item; --", &[3]),
    ("name=ilike.*WID*", &[1]),
    ("name=like.50\\%*", &[4]),
    ("name=like.*\\_", &[4]),
    ("price=gt.4.99", &[2, 3]),
    ("price=lte.12.5", &[1, 2, 4]),
    ("mood=in.(happy,\"it's complicated\")", &[1, 2]),
    ("mood=in.()", &[]),
    ("mood=nin.()", &[1, 2, 3, 4]),
    ("mood=is.null", &[3]),
    ("mood=not.is.null", &[1, 2, 4]),
    ("ok=is.true", &[1, 3]),
    ("ok=is.false", &[2, 4]),
    ("tags=contains.{red}", &[1, 2]),
    ("tags=contains.{red,\"big, blue\"}", &[1]),
    ("meta=contains.[1]", &[2]),
    ("at=gt.2024-04-30T23:30:00Z", &[2]),
    ("at=lt.2024-05-01T02:00:00%2B02:00", &[1]),
    ("born=eq.2024-02-29", &[1]),
    ("ref=eq.0b3e3f2a-5bd5-4f6e-9e8a-1c2d3e4f5a6b", &[2]),
    ("small=lt.0", &[2]),
    ("or=(small.lt.0,mood.eq.sad)", &[2, 4]),
    ("and=(ok.is.false,not.or(mood.eq.sad,small.gt.100))", &[2]),
    ("where={\"not\":{\"price\":{\"gte\":\"1\"}}}", &[4]),
    ("label=eq.x", &[1]),
];

fn decode_query(query: &str) -> String {
    query.replace("%2B", "+").replace("%25", "%")
}

#[test]
fn sql_runs_on_sqlite_and_returns_the_right_rows() {
    let manifest = shop();
    let database = SqliteDatabase::with_script("query.sqlite3", SQLITE_DDL);
    let connection = database.connect();
    let mut inserted = Vec::new();
    insert_items(
        |values| {
            let rows = sqlite_rows(
                &connection,
                sql::insert(SqlDialect::Sqlite, &manifest, "item", values),
            );
            inserted.push(rows.into_iter().next().unwrap());
        },
        &manifest,
    );
    use rusqlite::types::Value as S;
    // RETURNING gives every field in field order.
    assert_eq!(inserted[0][0], S::Integer(1));
    assert_eq!(inserted[0][1], S::Text("Widget".into()));
    assert_eq!(inserted[0][2], S::Real(4.99));
    assert_eq!(inserted[0][4], S::Text(r#"["red","big, blue"]"#.into()));
    assert_eq!(inserted[0][8], S::Text("2024-04-30T23:00:00Z".into()));
    assert_eq!(inserted[0][11], S::Integer(1));
    assert_eq!(inserted[2][14], S::Blob(vec![0, 1, 2]));

    for (query, ids) in RUN_CASES {
        assert_eq!(
            sqlite_ids(&connection, &manifest, &decode_query(query)),
            *ids,
            "{query}"
        );
    }
    // `like` is case-sensitive, `ilike` is not.
    assert_eq!(
        sqlite_ids(&connection, &manifest, "name=like.wid*"),
        [] as [i64; 0]
    );
    assert_eq!(sqlite_ids(&connection, &manifest, "name=like.Wid*"), [1]);
    assert_eq!(sqlite_ids(&connection, &manifest, "name=ilike.wID*"), [1]);
    // Paging and order: nulls first, then by key.
    let ordered = qs(
        &manifest,
        "item",
        "select=id&order=mood.desc.nullsfirst&limit=2&offset=1",
    )
    .unwrap();
    let rows = sqlite_rows(
        &connection,
        sql::select(SqlDialect::Sqlite, &manifest, "item", &ordered),
    );
    assert_eq!(rows, [vec![S::Integer(4)], vec![S::Integer(2)]]);
    let count = qs(&manifest, "item", "ok=is.true").unwrap();
    let rows = sqlite_rows(
        &connection,
        sql::count(SqlDialect::Sqlite, &manifest, "item", count.filter.as_ref()),
    );
    assert_eq!(rows, [vec![S::Integer(2)]]);

    // Update, read back, delete.
    let patch = validate_body(
        &manifest,
        "item",
        &json!({"name": "Renamed", "mood": null}),
        WriteMode::Patch,
    )
    .unwrap();
    let key = parse_key(&manifest, "item", "1").unwrap();
    let rows = sqlite_rows(
        &connection,
        sql::update_by_key(SqlDialect::Sqlite, &manifest, "item", &key, None, &patch),
    );
    assert_eq!(rows[0][1], S::Text("Renamed".into()));
    assert_eq!(rows[0][3], S::Null);
    let rows = sqlite_rows(
        &connection,
        sql::select_by_key(SqlDialect::Sqlite, &manifest, "item", &key, None, false),
    );
    assert_eq!(rows[0][1], S::Text("Renamed".into()));
    // The deleted row comes back.
    let deleted = sqlite_rows(
        &connection,
        sql::delete_by_key(SqlDialect::Sqlite, &manifest, "item", &key, None),
    );
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0][1], S::Text("Renamed".into()));
    assert_eq!(sqlite_ids(&connection, &manifest, ""), [2, 3, 4]);
    // The table the hostile value names is still there.
    assert_eq!(sqlite_ids(&connection, &manifest, "name=like.'*"), [3]);
}

/// A flat `or` of thousands of terms: built on a small stack (no
/// recursion per term, in baas or in sea-query's rendering) and run by
/// SQLite, whose expression depth limit is 1000 (the groups are rendered as
/// a balanced tree).
#[test]
fn thousands_of_terms_build_on_a_small_stack_and_run_on_sqlite() {
    let manifest = shop();
    let terms: Vec<Filter> = (0..9000)
        .map(|n| Filter::Compare {
            field: "id".into(),
            op: Op::Eq,
            value: Value::Int(n),
        })
        .collect();
    let query = ListQuery {
        filter: Some(Filter::Or(terms)),
        ..qs(&manifest, "item", "select=id").unwrap()
    };
    let built = {
        let manifest = manifest.clone();
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                [SqlDialect::Postgres, SqlDialect::Mysql, SqlDialect::Sqlite].map(|dialect| {
                    let (sql, values) = sql::select(dialect, &manifest, "item", &query).unwrap();
                    (
                        sql.len(),
                        values.0.len(),
                        (dialect == SqlDialect::Sqlite).then_some((sql, values)),
                    )
                })
            })
            .unwrap()
            .join()
            .unwrap()
    };
    for (length, values, _) in &built {
        assert!(*length > 9000 * 8, "{length}");
        assert_eq!(*values, 9000 + 2);
    }
    let [_, _, (_, _, Some(sqlite))] = built else {
        panic!("no SQLite statement");
    };
    let dir = tempfile::tempdir().unwrap();
    let connection = rusqlite::Connection::open(dir.path().join("wide.sqlite3")).unwrap();
    connection.execute_batch(SQLITE_DDL).unwrap();
    connection
        .execute_batch("INSERT INTO item (id, name, price) VALUES (3, 'a', 1), (9500, 'b', 2)")
        .unwrap();
    let rows = sqlite_rows(&connection, Ok(sqlite));
    assert_eq!(rows, [vec![rusqlite::types::Value::Integer(3)]]);
    // Through the parser, the same is a 400 naming the limit.
    let items: Vec<String> = (0..1001).map(|n| format!("id.eq.{n}")).collect();
    let error = qs(&manifest, "item", &format!("or=({})", items.join(","))).unwrap_err();
    assert_eq!(error.at, "filter");
    assert!(error.message.contains("1000"), "{}", error.message);
}

// ---- execution: PostgreSQL ----

/// A PostgreSQL database of its own, and a pool on it.
struct PgDatabase {
    pool: sqlx::PgPool,
    _database: PostgresDatabase,
}

impl PgDatabase {
    async fn create() -> Option<Self> {
        let database = PostgresDatabase::create_async("query").await?;
        let pool = database.pool().await;
        Some(Self {
            pool,
            _database: database,
        })
    }

    async fn rows(
        &self,
        statement: Result<sql::Statement, QueryError>,
    ) -> Vec<sqlx::postgres::PgRow> {
        let (sql, values) = statement.unwrap();
        sqlx::query_with(
            sqlx::AssertSqlSafe(sql.clone()),
            sea_query_sqlx::SqlxValues(values),
        )
        .fetch_all(&self.pool)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
    }
}

/// A PostgreSQL row as JSON by field type, decoding columns by position as
/// the module docs of `query::sql` describe: text (bytes for `bytes`).
fn pg_row(fields: &[(&str, &Field)], row: &sqlx::postgres::PgRow) -> serde_json::Value {
    use sqlx::Row as _;
    let mut out = serde_json::Map::new();
    for (index, (name, field)) in fields.iter().enumerate() {
        let value = if field.ty == FieldType::Bytes {
            json!(row.get::<Option<Vec<u8>>, _>(index))
        } else {
            match row.get::<Option<String>, _>(index) {
                None => serde_json::Value::Null,
                Some(text) => match field.ty {
                    FieldType::Bool => json!(text == "true"),
                    FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => {
                        json!(text.parse::<i64>().unwrap())
                    }
                    FieldType::Float32 | FieldType::Float64 => {
                        json!(text.parse::<f64>().unwrap())
                    }
                    FieldType::Json | FieldType::Object | FieldType::Array => {
                        serde_json::from_str(&text).unwrap()
                    }
                    _ => json!(text),
                },
            }
        };
        out.insert((*name).to_owned(), value);
    }
    serde_json::Value::Object(out)
}

/// The first column of a PostgreSQL row, read as text, as an integer.
fn pg_int(row: &sqlx::postgres::PgRow) -> i64 {
    sqlx::Row::get::<String, _>(row, 0).parse().unwrap()
}

const POSTGRES_DDL: &str = r#"
CREATE TYPE mood AS ENUM ('happy', 'sad', 'it''s complicated');
CREATE TABLE maker (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name varchar(40) NOT NULL);
CREATE TABLE item (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name varchar(40) NOT NULL,
  price numeric(10,2) NOT NULL, mood mood, tags varchar(10)[], meta jsonb, ref uuid, born date,
  at timestamptz, local timestamp, alarm time, ok boolean NOT NULL DEFAULT true,
  ratio double precision, small smallint, blob bytea, "Label Text" varchar,
  maker_id bigint REFERENCES maker (id), address jsonb);
CREATE TABLE pair (a integer NOT NULL, b text NOT NULL, PRIMARY KEY (a, b));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_runs_on_postgres_with_exact_casts() {
    let Some(database) = PgDatabase::create().await else {
        return;
    };
    let manifest = shop();
    sqlx::raw_sql(POSTGRES_DDL)
        .execute(&database.pool)
        .await
        .unwrap();
    let all = sql::selected_fields(&manifest.entities["item"], None);
    let mut statements = Vec::new();
    insert_items(
        |values| statements.push(sql::insert(SqlDialect::Postgres, &manifest, "item", values)),
        &manifest,
    );
    let mut inserted = Vec::new();
    for statement in statements {
        let rows = database.rows(statement).await;
        inserted.push(pg_row(&all, &rows[0]));
    }
    insta::assert_json_snapshot!("postgres_inserted_rows", inserted);

    for (query, ids) in RUN_CASES {
        let parsed = qs(
            &manifest,
            "item",
            &format!("select=id&order=id&{}", decode_query(query)),
        )
        .unwrap();
        sql::check_supported(SqlDialect::Postgres, &manifest, "item", &parsed).unwrap();
        let rows = database
            .rows(sql::select(
                SqlDialect::Postgres,
                &manifest,
                "item",
                &parsed,
            ))
            .await;
        let found: Vec<i64> = rows.iter().map(pg_int).collect();
        assert_eq!(found, *ids, "{query}");
    }
    // Decimals are exact, counts count.
    let exact = qs(&manifest, "item", "price=eq.12.50&select=price").unwrap();
    let rows = database
        .rows(sql::select(SqlDialect::Postgres, &manifest, "item", &exact))
        .await;
    assert_eq!(sqlx::Row::get::<String, _>(&rows[0], 0), "12.50");
    let count = qs(&manifest, "item", "ok=is.false").unwrap();
    let rows = database
        .rows(sql::count(
            SqlDialect::Postgres,
            &manifest,
            "item",
            count.filter.as_ref(),
        ))
        .await;
    assert_eq!(sqlx::Row::get::<i64, _>(&rows[0], 0), 2);

    // Replace every value of row 2, then null them, then delete it.
    let key = parse_key(&manifest, "item", "2").unwrap();
    let replace = validate_body(
        &manifest,
        "item",
        &json!({"name": "Ünïcode ✓", "price": "99999999.99", "mood": "sad", "tags": ["x\"y", "a\\b"],
                "meta": "just text", "ref": "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "born": "1999-12-31",
                "at": "1999-12-31T23:59:59.5-05:00", "local": "2000-01-01T00:00:00.25",
                "alarm": "23:59:59", "ok": true, "ratio": 1e300, "small": 32767,
                "blob": "/w==", "label": "L", "address": {"city": "Paris"}}),
        WriteMode::Replace,
    )
    .unwrap();
    let rows = database
        .rows(sql::update_by_key(
            SqlDialect::Postgres,
            &manifest,
            "item",
            &key,
            None,
            &replace,
        ))
        .await;
    insta::assert_json_snapshot!("postgres_replaced_row", pg_row(&all, &rows[0]));
    let nulls: IndexMap<String, Value> = manifest.entities["item"]
        .fields
        .iter()
        .filter(|(_, field)| field.nullable)
        .map(|(name, _)| (name.clone(), Value::Null))
        .collect();
    let rows = database
        .rows(sql::update_by_key(
            SqlDialect::Postgres,
            &manifest,
            "item",
            &key,
            None,
            &nulls,
        ))
        .await;
    let row = pg_row(&all, &rows[0]);
    for name in nulls.keys() {
        assert_eq!(row[name], serde_json::Value::Null, "{name}");
    }
    let rows = database
        .rows(sql::select_by_key(
            SqlDialect::Postgres,
            &manifest,
            "item",
            &key,
            None,
            false,
        ))
        .await;
    assert_eq!(pg_row(&all, &rows[0]), row);
    let (sql, values) =
        sql::delete_by_key(SqlDialect::Postgres, &manifest, "item", &key, None).unwrap();
    let result = sqlx::query_with(sqlx::AssertSqlSafe(sql), sea_query_sqlx::SqlxValues(values))
        .execute(&database.pool)
        .await
        .unwrap();
    assert_eq!(result.rows_affected(), 1);

    // Composite keys; an insert of nothing but defaults.
    let pair = validate_body(
        &manifest,
        "pair",
        &json!({"a": 7, "b": "x,y"}),
        WriteMode::Insert,
    )
    .unwrap();
    database
        .rows(sql::insert(SqlDialect::Postgres, &manifest, "pair", &pair))
        .await;
    let key = parse_key(&manifest, "pair", "7,x%2Cy").unwrap();
    let rows = database
        .rows(sql::select_by_key(
            SqlDialect::Postgres,
            &manifest,
            "pair",
            &key,
            None,
            false,
        ))
        .await;
    assert_eq!(rows.len(), 1);
    let maker =
        validate_body(&manifest, "maker", &json!({"name": "m"}), WriteMode::Insert).unwrap();
    let rows = database
        .rows(sql::insert(
            SqlDialect::Postgres,
            &manifest,
            "maker",
            &maker,
        ))
        .await;
    assert_eq!(pg_int(&rows[0]), 1);
    // The hostile row's table still exists and holds its rows.
    let rows = database
        .rows(sql::count(SqlDialect::Postgres, &manifest, "item", None))
        .await;
    assert_eq!(sqlx::Row::get::<i64, _>(&rows[0], 0), 3);
    database.pool.close().await;
}

// ---- MongoDB ----

#[test]
fn mongo_documents_follow_the_filter() {
    use baas::query::mongo;
    let manifest = shop();
    let query = qs(
        &manifest,
        "item",
        "name=ilike.*50%25 off (x)*&price=gt.4.99&mood=in.(happy)&mood=nin.()&small=in.()&or=(ok.is.true,label.is.null,address.city.eq.Paris)&tags=contains.{red}&meta=contains.{\"a\":{\"b\":1},\"c\":[2]}&at=gte.2024-05-01T10:00:00Z&not.x=1&order=price.desc,label&select=name,label",
    );
    // `not.x` is not a field: refused before any document is built.
    assert_eq!(query.unwrap_err().at, "not.x");
    let query = qs(
        &manifest,
        "item",
        "name=ilike.*50%25 off (x)*&price=gt.4.99&mood=in.(happy)&mood=nin.()&small=in.()&or=(ok.is.true,label.is.null,address.city.eq.Paris)&tags=contains.{red}&meta=contains.{\"a\":{\"b\":1},\"c\":[2]}&at=gte.2024-05-01T10:00:00Z&order=price.desc,label&select=name,label",
    )
    .unwrap();
    let filter = mongo::filter_document(&manifest, "item", query.filter.as_ref().unwrap());
    let sort = mongo::sort_document(&manifest, "item", &query.order);
    let projection = mongo::projection_document(&manifest, "item", query.select.as_deref());
    insta::assert_snapshot!(format!(
        "filter: {filter}\nsort: {sort}\nprojection: {projection:?}"
    ));
    // A hostile pattern is escaped text inside the regex, anchored.
    let hostile = qs(&manifest, "item", "name=like.^.*$|(a+)+").unwrap();
    let document = mongo::filter_document(&manifest, "item", hostile.filter.as_ref().unwrap());
    assert_eq!(
        document
            .get_document("name")
            .unwrap()
            .get("$regex")
            .unwrap()
            .to_string(),
        r"/^\^\..*\$\|\(a\+\)\+\z/s"
    );
}

// ---- execution: MySQL (MariaDB) ----

const MYSQL_DDL: &[&str] = &[
    "CREATE TABLE maker (id bigint AUTO_INCREMENT PRIMARY KEY, name varchar(40) NOT NULL)",
    "CREATE TABLE item (
      id bigint AUTO_INCREMENT PRIMARY KEY, name varchar(40) NOT NULL,
      price decimal(10,2) NOT NULL, mood enum('happy','sad','it''s complicated'), tags json,
      meta json, ref char(36), born date, at timestamp(6) NULL, local datetime(6), alarm time,
      ok tinyint(1) NOT NULL DEFAULT 1, ratio double, small smallint, `blob` longblob,
      `Label Text` varchar(100), maker_id bigint REFERENCES maker (id), address json)",
    "CREATE TABLE pair (a int NOT NULL, b varchar(100) NOT NULL, PRIMARY KEY (a, b))",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_runs_on_mysql_and_returns_the_right_rows() {
    use sqlx::{Connection as _, Row as _};
    let Some(database) = MysqlDatabase::create_async("query").await else {
        return;
    };
    let mut connection = database.connect().await;
    sqlx::raw_sql("SET time_zone = '+00:00'")
        .execute(&mut connection)
        .await
        .unwrap();
    for ddl in MYSQL_DDL {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*ddl))
            .execute(&mut connection)
            .await
            .unwrap();
    }
    let manifest = shop();
    let mut statements = Vec::new();
    insert_items(
        |values| statements.push(sql::insert(SqlDialect::Mysql, &manifest, "item", values)),
        &manifest,
    );
    for (sql, values) in statements.into_iter().map(Result::unwrap) {
        let result = sqlx::query_with(
            sqlx::AssertSqlSafe(sql.clone()),
            sea_query_sqlx::SqlxValues(values),
        )
        .execute(&mut connection)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
        assert_eq!(result.rows_affected(), 1);
    }
    // No RETURNING on MySQL: the row is read back by key.
    let (sql, values) = sql::select_by_key(
        SqlDialect::Mysql,
        &manifest,
        "item",
        &[Value::Int(1)],
        None,
        false,
    )
    .unwrap();
    let row = sqlx::query_with(
        sqlx::AssertSqlSafe(sql.clone()),
        sea_query_sqlx::SqlxValues(values),
    )
    .fetch_one(&mut connection)
    .await
    .unwrap_or_else(|e| panic!("{e}: {sql}"));
    assert_eq!(row.get::<String, _>(2), "4.99");
    assert_eq!(row.get::<String, _>(3), "happy");
    assert_eq!(row.get::<String, _>(7), "2024-02-29");
    // Columns read back as text, converted to wire values by the store.
    assert_eq!(row.get::<String, _>(8), "2024-04-30 23:00:00.000000");
    assert_eq!(row.get::<String, _>(9), "2024-05-01 10:00:00.000000");
    assert_eq!(row.get::<String, _>(11), "1");

    for (query, ids) in RUN_CASES {
        let parsed = qs(
            &manifest,
            "item",
            &format!("select=id&order=id&{}", decode_query(query)),
        )
        .unwrap();
        sql::check_supported(SqlDialect::Mysql, &manifest, "item", &parsed).unwrap();
        let (sql, values) = sql::select(SqlDialect::Mysql, &manifest, "item", &parsed).unwrap();
        let rows = sqlx::query_with(
            sqlx::AssertSqlSafe(sql.clone()),
            sea_query_sqlx::SqlxValues(values),
        )
        .fetch_all(&mut connection)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
        let found: Vec<i64> = rows
            .iter()
            .map(|row| row.get::<String, _>(0).parse().unwrap())
            .collect();
        assert_eq!(found, *ids, "{query}");
    }
    connection.close().await.unwrap();
}

// ---- execution: MongoDB ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongo_filters_find_the_right_documents() {
    use baas::query::mongo;
    use mongodb::bson::{Document, doc};
    let Some(temp) = MongoDatabase::create("query") else {
        return;
    };
    let database = temp.connect().await;
    let collection = database.collection::<Document>("item");
    let manifest = shop();
    let entity = &manifest.entities["item"];
    let mut documents = Vec::new();
    insert_items(
        |values| {
            let mut document = doc! { "id": (documents.len() + 1) as i64 };
            for (field_name, value) in values {
                let field = &entity.fields[field_name];
                document.insert(
                    field.column_name(field_name),
                    mongo::bson_value(field, value),
                );
            }
            documents.push(document);
        },
        &manifest,
    );
    documents[0].insert("address", doc! { "city": "Paris", "zip": null });
    collection.insert_many(documents).await.unwrap();

    let mut cases: Vec<(&str, &[i64])> = RUN_CASES.to_vec();
    cases.extend([
        ("address.city=eq.Paris", &[1][..]),
        ("name=like.wid*", &[]),
        ("name=ilike.wid*", &[1]),
        ("name=like.'; DROP*", &[3]),
        ("meta=contains.{\"a\":1}", &[1]),
    ]);
    for (query, ids) in cases {
        let parsed = qs(
            &manifest,
            "item",
            &format!("select=id&order=id&{}", decode_query(query)),
        )
        .unwrap();
        let filter = parsed
            .filter
            .as_ref()
            .map(|filter| mongo::filter_document(&manifest, "item", filter))
            .unwrap_or_default();
        let mut cursor = collection
            .find(filter.clone())
            .sort(mongo::sort_document(&manifest, "item", &parsed.order))
            .projection(
                mongo::projection_document(&manifest, "item", parsed.select.as_deref()).unwrap(),
            )
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}: {filter}"));
        let mut found = Vec::new();
        while cursor.advance().await.unwrap() {
            found.push(cursor.deserialize_current().unwrap().get_i64("id").unwrap());
        }
        assert_eq!(found, ids, "{query}: {filter}");
    }
}
