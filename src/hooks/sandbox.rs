//! One JavaScript engine (a QuickJS runtime) and the call of one hook in
//! it. Every call gets a fresh context: what a hook leaves behind (globals,
//! a polluted `Object.prototype`) is gone before the next call. Values
//! cross the boundary only as JSON text, so the host never holds a
//! JavaScript object and nothing a hook does to the objects it was given
//! reaches the host.
//!
//! The context has the language's built-ins only: no `require`, no module
//! loader (`import` fails), no `process`, `Deno`, `fetch`, file or network
//! access. Besides the built-ins a hook sees `reject(message, status?)` and
//! `console.log|info|warn|error`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rquickjs::{
    CatchResultExt, CaughtError, Context, Ctx, Exception, Function, Object, Promise, Runtime,
    Value, context::EvalOptions,
};
use serde_json::Value as Json;

use super::{HookError, Script};

/// The largest JavaScript stack of one call (deep recursion is a
/// `RangeError`, not a crash).
const MAX_STACK: usize = 512 * 1024;

/// What every context runs before the hook's file: `reject` and `console`.
/// `__baas_log` is the host's logger; the prelude keeps it in a closure and
/// removes the global.
const PRELUDE: &str = r#""use strict";
(() => {
  const log = globalThis.__baas_log;
  delete globalThis.__baas_log;
  class HookRejection extends Error {
    constructor(message, status) {
      super(String(message));
      this.name = "HookRejection";
      this.status = status;
    }
  }
  Object.defineProperty(globalThis, "reject", {
    value: (message, status) => {
      throw new HookRejection(message, status === undefined ? 422 : status);
    },
  });
  const text = (values) =>
    values
      .map((v) => {
        if (typeof v === "string") return v;
        try {
          return JSON.stringify(v) ?? String(v);
        } catch {
          return String(v);
        }
      })
      .join(" ");
  const console = {};
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    console[level] = (...values) => log(level, text(values));
  }
  Object.defineProperty(globalThis, "console", { value: Object.freeze(console) });
})();
"#;

/// A QuickJS runtime and the deadline its interrupt handler checks.
pub struct Engine {
    runtime: Runtime,
    deadline: Rc<Cell<Option<Instant>>>,
}

/// How one call ended, before it is told apart as a [`HookError`].
enum Ended {
    Value(Option<String>),
    Thrown(Thrown),
}

/// A value the hook threw (or that stopped it).
struct Thrown {
    name: String,
    message: String,
    /// `reject(message, status)`'s status.
    status: Option<Json>,
    /// `file:line:col` of the error, when known.
    at: Option<String>,
}

impl Engine {
    pub fn new() -> Result<Self, HookError> {
        let runtime = Runtime::new().map_err(|error| HookError::Engine(error.to_string()))?;
        runtime.set_max_stack_size(MAX_STACK);
        let deadline: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
        let check = deadline.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || {
            check
                .get()
                .is_some_and(|deadline| Instant::now() >= deadline)
        })));
        Ok(Self { runtime, deadline })
    }

    /// Runs `script`'s top level only: what loading it checks (syntax, a
    /// `hook` function, a top level that ends within the limits).
    pub fn check(&self, script: &Script) -> Result<(), HookError> {
        self.call(script, None).map(|_| ())
    }

    /// Calls `script`'s `hook` with `event` (JSON text); the JSON text of
    /// what it returned (`None` for `undefined` or `null`).
    pub fn run(&self, script: &Script, event: &str) -> Result<Option<String>, HookError> {
        self.call(script, Some(event))
    }

    fn call(&self, script: &Script, event: Option<&str>) -> Result<Option<String>, HookError> {
        self.runtime.set_memory_limit(script.memory_bytes());
        let started = Instant::now();
        self.deadline.set(Some(started + script.timeout));
        let ended = self.evaluate(script, event);
        // Jobs the call queued and left (a `then` after a plain return, or
        // after the hook's promise settled) run now, within its limits:
        // left in the queue they would run in the next call, in its time.
        let ended = match (ended, self.drain(script, started + script.timeout)) {
            (Ok(_), Some(stopped)) => Ok(Ended::Thrown(stopped)),
            (ended, _) => ended,
        };
        self.deadline.set(None);
        // What the call left goes now, not at the cost of a later call.
        self.runtime.run_gc();
        match ended {
            Ok(Ended::Value(value)) => Ok(value),
            Ok(Ended::Thrown(thrown)) => Err(classify(script, thrown, started)),
            Err(error) => Err(classify(
                script,
                Thrown {
                    name: "InternalError".into(),
                    message: error.to_string(),
                    status: None,
                    at: None,
                },
                started,
            )),
        }
    }

    /// Runs the queued jobs until none is left; what stopped it when a
    /// limit did (the deadline passed, memory ran out). A job that throws
    /// otherwise is the hook's unhandled rejection, and the next job runs.
    fn drain(&self, script: &Script, deadline: Instant) -> Option<Thrown> {
        let interrupted = || Thrown {
            name: "InternalError".into(),
            message: "interrupted".into(),
            status: None,
            at: None,
        };
        while self.runtime.is_job_pending() {
            if Instant::now() >= deadline {
                return Some(interrupted());
            }
            if let Err(failed) = self.runtime.execute_pending_job() {
                let thrown = failed.0.with(|ctx| {
                    thrown(
                        CaughtError::from_error(&ctx, rquickjs::Error::Exception),
                        &script.run,
                    )
                });
                if thrown.message.contains("interrupted")
                    || thrown.message.contains("out of memory")
                    || thrown.message.contains("Allocation failed")
                {
                    return Some(thrown);
                }
            }
        }
        None
    }

    /// A fresh context: the prelude, the file, then `hook(event)`.
    fn evaluate(&self, script: &Script, event: Option<&str>) -> rquickjs::Result<Ended> {
        let context = Context::full(&self.runtime)?;
        let file = script.run.clone();
        Ok(context.with(|ctx| match call_in(&ctx, script, event) {
            Ok(value) => Ended::Value(value),
            Err(caught) => Ended::Thrown(thrown(caught, &file)),
        }))
    }
}

fn call_in<'js>(
    ctx: &Ctx<'js>,
    script: &Script,
    event: Option<&str>,
) -> Result<Option<String>, CaughtError<'js>> {
    let hook_name: std::sync::Arc<str> = script.run.as_str().into();
    let logger = Function::new(
        ctx.clone(),
        move |level: String, text: String| match level.as_str() {
            "error" => tracing::error!(target: "baas::hooks", "{hook_name}: {text}"),
            "warn" => tracing::warn!(target: "baas::hooks", "{hook_name}: {text}"),
            "debug" => tracing::debug!(target: "baas::hooks", "{hook_name}: {text}"),
            _ => tracing::info!(target: "baas::hooks", "{hook_name}: {text}"),
        },
    )
    .catch(ctx)?;
    ctx.globals().set("__baas_log", logger).catch(ctx)?;
    ctx.eval_with_options::<(), _>(PRELUDE, options("baas:prelude"))
        .catch(ctx)?;
    ctx.eval_with_options::<(), _>(script.source.as_bytes(), options(&script.run))
        .catch(ctx)?;
    let hook: Value = ctx.globals().get("hook").catch(ctx)?;
    let Some(hook) = hook.as_function().cloned() else {
        return Err(Exception::throw_message(
            ctx,
            "the file defines no `function hook(event)`",
        ))
        .catch(ctx);
    };
    let Some(event) = event else {
        return Ok(None);
    };
    let event = ctx.json_parse(event).catch(ctx)?;
    let mut result: Value = hook.call((event,)).catch(ctx)?;
    if let Some(promise) = result.as_promise().cloned() {
        result = settle(ctx, &promise)?;
    }
    if result.is_undefined() || result.is_null() {
        return Ok(None);
    }
    let text = ctx.json_stringify(result).catch(ctx)?;
    text.map(|text| text.to_string()).transpose().catch(ctx)
}

/// Runs the job queue until `promise` settles (an `async function hook`).
fn settle<'js>(ctx: &Ctx<'js>, promise: &Promise<'js>) -> Result<Value<'js>, CaughtError<'js>> {
    match promise.finish::<Value>() {
        Err(rquickjs::Error::WouldBlock) => Err(Exception::throw_message(
            ctx,
            "the hook's promise never settles (it waits on nothing a hook can complete)",
        ))
        .catch(ctx),
        other => other.catch(ctx),
    }
}

fn options(file: &str) -> EvalOptions {
    let mut options = EvalOptions::default();
    options.global = true;
    options.strict = true;
    options.filename = Some(file.to_owned());
    options
}

/// What the hook threw, read into plain Rust values.
fn thrown(caught: CaughtError<'_>, file: &str) -> Thrown {
    match caught {
        CaughtError::Exception(exception) => {
            let object: &Object = exception.as_object();
            let name = object
                .get::<_, Option<rquickjs::Coerced<String>>>("name")
                .ok()
                .flatten()
                .map_or_else(|| "Error".to_owned(), |n| n.0);
            let status = object
                .get::<_, Value>("status")
                .ok()
                .and_then(|value| value.as_number())
                .map(Json::from);
            let at = exception
                .stack()
                .as_deref()
                .and_then(|stack| location(stack, file))
                .or_else(|| {
                    // A syntax error names its place in the properties.
                    let line = object.get::<_, Option<i64>>("lineNumber").ok().flatten()?;
                    let column = object
                        .get::<_, Option<i64>>("columnNumber")
                        .ok()
                        .flatten()
                        .unwrap_or(1);
                    Some(format!("{file}:{line}:{column}"))
                });
            Thrown {
                name,
                message: exception.message().unwrap_or_default(),
                status,
                at,
            }
        }
        CaughtError::Value(value) => Thrown {
            name: String::new(),
            message: thrown_value(&value),
            status: None,
            at: None,
        },
        CaughtError::Error(error) => Thrown {
            name: "InternalError".into(),
            message: error.to_string(),
            status: None,
            at: None,
        },
    }
}

/// The longest text of a thrown value shown (characters).
const MAX_THROWN_TEXT: usize = 500;

/// What a thrown value that is not an `Error` says: a string as it is,
/// anything else as its JSON text. `null` is what the engine throws when it
/// has no memory left to make an error of (a memory bomb stopped while it
/// builds a deeply nested value), so it reads as running out of memory.
fn thrown_value(value: &Value<'_>) -> String {
    if value.is_null() {
        return "out of memory".into();
    }
    if let Some(text) = value.as_string().and_then(|s| s.to_string().ok()) {
        return text.chars().take(MAX_THROWN_TEXT).collect();
    }
    let ctx = value.ctx();
    match ctx.json_stringify(value.clone()).catch(ctx) {
        Ok(Some(text)) => match text.to_string() {
            Ok(text) => text.chars().take(MAX_THROWN_TEXT).collect(),
            Err(_) => format!("{} was thrown", described(value)),
        },
        // A value JSON cannot show (a symbol, a function, a cycle, one too
        // deep): its type.
        _ => format!("{} was thrown", described(value)),
    }
}

/// `a symbol`, `an object`, `undefined`: the type of `value` in prose.
fn described(value: &Value<'_>) -> String {
    let name = value.type_name();
    match name {
        "undefined" => name.to_owned(),
        _ if name.starts_with(['a', 'e', 'i', 'o', 'u']) => format!("an {name}"),
        _ => format!("a {name}"),
    }
}

/// The first `file:line:col` of `file` in a stack trace.
fn location(stack: &str, file: &str) -> Option<String> {
    stack.lines().find_map(|line| {
        let start = line.find(file)?;
        let place = line[start..].trim_end_matches(')');
        let mut parts = place[file.len()..].split(':').skip(1);
        let line_number: u32 = parts.next()?.parse().ok()?;
        let column = parts
            .next()
            .and_then(|c| c.parse::<u32>().ok())
            .unwrap_or(1);
        Some(format!("{file}:{line_number}:{column}"))
    })
}

/// Tells a limit that stopped the hook from a refusal or a bug in it.
fn classify(script: &Script, thrown: Thrown, started: Instant) -> HookError {
    let hook = script.run.clone();
    let elapsed = started.elapsed();
    if thrown.message.contains("interrupted")
        && elapsed + Duration::from_millis(1) >= script.timeout
    {
        return HookError::Timeout {
            hook,
            ms: script.timeout.as_millis(),
        };
    }
    if thrown.message.contains("out of memory") || thrown.message.contains("Allocation failed") {
        return HookError::Memory {
            hook,
            mb: script.memory_mb,
        };
    }
    if thrown.name == "HookRejection" {
        let status = thrown
            .status
            .as_ref()
            .and_then(Json::as_f64)
            .filter(|s| s.fract() == 0.0 && (400.0..500.0).contains(s))
            .map_or(422, |s| s as u16);
        return HookError::Rejected {
            hook,
            status,
            message: thrown.message,
        };
    }
    let message = match (thrown.name.as_str(), thrown.message.is_empty()) {
        ("" | "Error", false) => thrown.message,
        (_, false) => format!("{}: {}", thrown.name, thrown.message),
        (name, true) => name.to_owned(),
    };
    HookError::Thrown {
        hook,
        message,
        at: thrown.at,
    }
}
