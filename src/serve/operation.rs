//! What the kernel and the policy both speak of: one [`Operation`], who
//! sends it ([`Principal`]), and the manifest it runs against
//! ([`Schema`]). A leaf: it names nothing else of `serve`, so `kernel`
//! (which holds a policy) and `policy` (which judges operations) both
//! depend on it and not on each other.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::manifest::links::{self, Link};
use crate::manifest::{Entity, Manifest};
use crate::query::{ListQuery, Value, WriteMode};

/// Who sends an operation.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Principal {
    /// No credentials.
    #[default]
    Anonymous,
    /// The service key: bypasses every rule.
    Service,
    /// A verified identity and its claims (`@auth.<claim>` in rules).
    User {
        id: Option<String>,
        role: Option<String>,
        claims: serde_json::Map<String, serde_json::Value>,
    },
}

/// What an operation does to its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Rows matching a filter (and their count).
    List,
    /// One row by its key.
    View,
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn is_write(self) -> bool {
        matches!(self, Self::Create | Self::Update | Self::Delete)
    }
}

/// The input of a write: a JSON object of field values, validated by the
/// kernel against the manifest (so a policy or a hook sees it whole).
#[derive(Debug, Clone)]
pub struct Body {
    pub json: Json,
    pub mode: WriteMode,
}

/// One request to the data, whatever protocol it came from.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Who asks ([`Principal::Anonymous`] until identity is configured).
    pub principal: Arc<Principal>,
    /// The tenant the operation runs for, when the deployment has tenants.
    pub tenant: Option<String>,
    /// A key of `manifest.entities`.
    pub entity: String,
    pub action: Action,
    /// The primary key values, in order (view, update, delete).
    pub key: Vec<Value>,
    /// The list query (list); its filter is narrowed by the policy's scope.
    pub query: Option<ListQuery>,
    /// The body (create, update).
    pub body: Option<Body>,
    /// The query-string parameters, for rules that read `@query` (left
    /// empty when none does).
    pub params: Vec<(String, String)>,
    /// How a list counts its rows when its query asks for a count.
    pub counting: Counting,
    /// A create whose links to its tenant's rows the kernel has already
    /// checked with the other rows of its bulk insert
    /// (`Kernel::check_creates`), so its write does not look them up again.
    pub(crate) links_judged: bool,
}

/// How a list's count is made (PostgREST's `Prefer: count=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Counting {
    /// Every matching row counted.
    #[default]
    Exact,
    /// The database planner's estimate where the engine has one (exact
    /// elsewhere).
    Planned,
    /// Exact up to `threshold` rows, the planner's estimate above it.
    Estimated { threshold: u64 },
}

impl Operation {
    /// An operation with no key, query or body yet.
    pub fn new(principal: Arc<Principal>, entity: impl Into<String>, action: Action) -> Self {
        Self {
            principal,
            tenant: None,
            entity: entity.into(),
            action,
            key: Vec::new(),
            query: None,
            body: None,
            params: Vec::new(),
            counting: Counting::Exact,
            links_judged: false,
        }
    }
}

/// The manifest an operation runs against, with what is derived from it
/// once per manifest version.
pub struct Schema {
    pub manifest: Arc<Manifest>,
    /// Every entity's links (`manifest::links`).
    pub links: BTreeMap<String, Vec<Link>>,
    /// Every entity's rules, checked once per manifest version.
    pub rules: crate::rules::RuleSet,
}

impl Schema {
    pub fn new(manifest: Arc<Manifest>) -> Self {
        let links = links::links(&manifest);
        // With `[auth]`, an action without a rule is refused (service key only).
        let rules = crate::rules::RuleSet::new(&manifest, &links, manifest.auth.is_some());
        Self {
            manifest,
            links,
            rules,
        }
    }

    pub fn entity(&self, name: &str) -> Result<&Entity, UnknownEntity> {
        self.manifest
            .entities
            .get(name)
            .ok_or_else(|| UnknownEntity(name.to_owned()))
    }

    pub fn link(&self, entity: &str, name: &str) -> Option<&Link> {
        self.links
            .get(entity)
            .and_then(|links| links.iter().find(|link| link.name == name))
    }
}

/// A name that is no entity of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("there is no entity `{0}`")]
pub struct UnknownEntity(pub String);
