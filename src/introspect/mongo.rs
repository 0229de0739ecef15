//! MongoDB introspection (in progress).

use url::Url;

use super::{IntrospectError, IntrospectOptions, Introspection, Introspector};
use crate::ui::Progress;

pub struct MongoIntrospector {
    url: Url,
}

impl MongoIntrospector {
    pub fn new(url: Url) -> Self {
        Self { url }
    }
}

impl Introspector for MongoIntrospector {
    async fn introspect(
        &self,
        _options: &IntrospectOptions,
        _progress: &Progress,
    ) -> Result<Introspection, IntrospectError> {
        Err(IntrospectError::Unsupported(format!(
            "live introspection of `{}` is not available yet in this build",
            crate::source::redact(self.url.as_str())
        )))
    }
}
