//! A tracing layer: each event the log center keeps becomes a [`Record`], its request
//! id, cause and slot taken from the event or the spans around it (innermost wins).

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use missiond_core::jarvis::Record;

/// The layer; it hands records to the log center (a no-op before it starts).
pub struct JarvisLayer;

/// The ids a span (or event) carries.
#[derive(Debug, Clone, Default)]
struct Ids {
    request_id: Option<String>,
    cause_id: Option<String>,
    slot_id: Option<String>,
}

impl Ids {
    fn merge_over(&mut self, inner: &Ids) {
        if inner.request_id.is_some() {
            self.request_id.clone_from(&inner.request_id);
        }
        if inner.cause_id.is_some() {
            self.cause_id.clone_from(&inner.cause_id);
        }
        if inner.slot_id.is_some() {
            self.slot_id.clone_from(&inner.slot_id);
        }
    }
}

/// Collects an event's or span's fields.
#[derive(Default)]
struct Fields {
    ids: Ids,
    message: Option<String>,
    other: Map<String, Value>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        let text = || match &value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match field.name() {
            "message" => self.message = Some(text()),
            "request_id" | "requestId" => self.ids.request_id = Some(text()),
            "cause_id" | "causeId" => self.ids.cause_id = Some(text()),
            "slot" | "slot_id" | "slotId" => self.ids.slot_id = Some(text()),
            name => {
                // Bounded: a flood of fields must not grow a record without end.
                if self.other.len() < 32 {
                    self.other.insert(name.to_string(), value);
                }
            }
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        let text = missiond_core::jarvis::cut(&text, missiond_core::jarvis::MAX_MESSAGE_BYTES);
        self.put(field, Value::String(text.to_string()));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let text = missiond_core::jarvis::cut(value, missiond_core::jarvis::MAX_MESSAGE_BYTES);
        self.put(field, Value::String(text.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
}

fn rank(level: &Level) -> u8 {
    match *level {
        Level::TRACE => 0,
        Level::DEBUG => 1,
        Level::INFO => 2,
        Level::WARN => 3,
        _ => 4,
    }
}

impl<S> tracing_subscriber::Layer<S> for JarvisLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields.ids);
        }
    }

    fn on_record(&self, id: &Id, values: &SpanRecord<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            match ext.get_mut::<Ids>() {
                Some(ids) => ids.merge_over(&fields.ids),
                None => ext.insert(fields.ids),
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(center) = super::center() else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut ids = Ids::default();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(span_ids) = span.extensions().get::<Ids>() {
                    ids.merge_over(span_ids);
                }
            }
        }
        ids.merge_over(&fields.ids);
        let meta = event.metadata();
        center.offer(Record {
            time_ms: missiond_core::time::now_ms(),
            level: rank(meta.level()),
            target: meta.target().to_string(),
            message: fields.message.unwrap_or_default(),
            request_id: ids.request_id,
            cause_id: ids.cause_id,
            slot_id: ids.slot_id,
            fields: fields.other,
        });
    }
}
