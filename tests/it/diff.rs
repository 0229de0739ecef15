//! `diff` over `fixtures/diff/<case>/{before,after}.toml`: the change list,
//! with each change's safety and reason, is snapshotted per case.

use std::path::Path;

use baas::diff::{Safety, diff};
use baas::manifest::load_file;

#[test]
fn each_case_gives_its_classified_changes() {
    insta::glob!("../../fixtures/diff", "*/before.toml", |before_path| {
        let case = before_path.parent().unwrap();
        let before = load_file(before_path).unwrap().manifest;
        let after = load_file(&case.join("after.toml")).unwrap().manifest;
        let changes = diff(&before, &after);
        // The same inputs give the same list, and nothing changes against itself.
        assert_eq!(changes, diff(&before, &after));
        assert!(diff(&after, &after).is_empty());
        insta::assert_json_snapshot!(changes);
    });
}

#[test]
fn destructive_and_review_changes_are_recognized() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff/types_and_nulls");
    let before = load_file(&dir.join("before.toml")).unwrap().manifest;
    let after = load_file(&dir.join("after.toml")).unwrap().manifest;
    let safety = |field: &str| {
        diff(&before, &after)
            .into_iter()
            .find(|c| serde_json::to_value(&c.kind).unwrap()["field"] == field)
            .map(|c| c.safety)
    };
    assert_eq!(safety("count"), Some(Safety::Safe), "int16 → int64 widens");
    assert_eq!(
        safety("code"),
        Some(Safety::Destructive),
        "string(40) → string(20) narrows"
    );
    assert_eq!(
        safety("note"),
        Some(Safety::NeedsReview),
        "NOT NULL on rows that may hold NULL"
    );
    assert_eq!(
        safety("price"),
        Some(Safety::Safe),
        "decimal(8,2) → decimal(10,2) widens"
    );
    assert_eq!(
        safety("rating"),
        Some(Safety::Destructive),
        "float32 → int32 loses fractions"
    );
}
