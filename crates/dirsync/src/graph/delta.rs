//! One page of a delta round (`/users/delta`): the objects, and either a nextLink or a deltaLink.

use serde::Deserialize;
use serde_json::Value;

use super::{GraphClient, GraphError};

/// A delta page. Exactly one of `next_link` / `delta_link` is set.
#[derive(Debug, Clone, PartialEq)]
pub struct DeltaPage {
    pub value: Vec<Value>,
    pub next_link: Option<String>,
    pub delta_link: Option<String>,
}

/// Why an object left (the `@removed` annotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaRemoved {
    /// `changed`: soft-deleted, restorable from deleted items.
    Changed,
    /// `deleted`: permanently deleted.
    Deleted,
}

impl DeltaRemoved {
    /// Reads the `@removed` annotation of a delta item; unknown reasons count as `deleted`.
    pub fn of(item: &Value) -> Option<Self> {
        let removed = item.get("@removed")?;
        Some(match removed.get("reason").and_then(Value::as_str) {
            Some(r) if r.eq_ignore_ascii_case("changed") => DeltaRemoved::Changed,
            _ => DeltaRemoved::Deleted,
        })
    }
}

#[derive(Deserialize)]
struct RawPage {
    value: Option<Vec<Value>>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    delta_link: Option<String>,
}

impl DeltaPage {
    /// Decodes and checks a page: a `value` array of objects with an `id`, and exactly one link.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let raw: RawPage = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let value = raw
            .value
            .ok_or_else(|| "delta page without a value array".to_string())?;
        if let Some(bad) = value
            .iter()
            .position(|v| v.get("id").and_then(Value::as_str).is_none())
        {
            return Err(format!("delta page item {bad} has no id"));
        }
        match (&raw.next_link, &raw.delta_link) {
            (Some(_), Some(_)) => Err("delta page carries both a nextLink and a deltaLink".into()),
            (None, None) => Err("delta page carries neither a nextLink nor a deltaLink".into()),
            _ => Ok(Self {
                value,
                next_link: raw.next_link,
                delta_link: raw.delta_link,
            }),
        }
    }
}

impl GraphClient {
    /// Fetches one delta page; a page that does not decode is retried like a transient failure.
    pub async fn get_delta_page(
        &self,
        path_or_link: &str,
        headers: &[(&str, &str)],
    ) -> Result<DeltaPage, GraphError> {
        self.get_parsed(path_or_link, headers, DeltaPage::parse)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pages_and_rejects_broken_ones() {
        let p = DeltaPage::parse(
            br#"{"value":[{"id":"a"},{"id":"b","@removed":{"reason":"changed"}}],"@odata.nextLink":"n"}"#,
        )
        .unwrap();
        assert_eq!(p.value.len(), 2);
        assert_eq!(p.next_link.as_deref(), Some("n"));
        assert_eq!(DeltaRemoved::of(&p.value[1]), Some(DeltaRemoved::Changed));
        assert_eq!(DeltaRemoved::of(&p.value[0]), None);
        assert!(DeltaPage::parse(br#"{"value":[],"@odata.deltaLink":"d"}"#).is_ok());
        assert!(DeltaPage::parse(br#"{"@odata.deltaLink":"d"}"#).is_err());
        assert!(DeltaPage::parse(br#"{"value":[]}"#).is_err());
        assert!(DeltaPage::parse(br#"{"value":[{"x":1}],"@odata.deltaLink":"d"}"#).is_err());
        assert!(
            DeltaPage::parse(br#"{"value":[],"@odata.nextLink":"n","@odata.deltaLink":"d"}"#)
                .is_err()
        );
        assert!(DeltaPage::parse(br#"{"value":[{"id":"a"}"#).is_err());
    }
}
