//! JSON-RPC 2.0 framing for storage plugins written in Rust, as
//! docs/plugins.md describes it: one request per line in, one response per
//! line out. A plugin needs nothing else of Chroma's.

use serde_json::{json, Value};

/// The longest line the protocol allows (16 MiB).
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// JSON-RPC error codes this plugin answers with.
pub mod code {
    /// The line is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// JSON, but not a JSON-RPC 2.0 request.
    pub const INVALID_REQUEST: i64 = -32600;
    /// The method does not exist.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// The params do not fit the method.
    pub const INVALID_PARAMS: i64 = -32602;
    /// The plugin itself went wrong (its state file cannot be read).
    pub const INTERNAL_ERROR: i64 = -32603;
    /// The request was understood but refused (an action that cannot run).
    pub const REFUSED: i64 = -32000;
}

/// An error answer: a JSON-RPC code and a message for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct RpcError {
    /// JSON-RPC error code (see [`code`]).
    pub code: i64,
    /// What was wrong, in words.
    pub message: String,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Params that do not fit the method.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(code::INVALID_PARAMS, message)
    }

    /// A well-formed request the plugin refuses.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(code::REFUSED, message)
    }
}

/// A request taken apart: method, params (`{}` when absent) and id (`None`
/// for a notification, which gets no answer).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The method name.
    pub method: String,
    /// The params object or array.
    pub params: Value,
    /// The id to echo, `None` for a notification.
    pub id: Option<Value>,
}

/// Parses one line into a request, or the error response to send instead.
pub fn parse(line: &[u8]) -> Result<Request, Value> {
    let text = std::str::from_utf8(line)
        .map_err(|_| failure(Value::Null, &RpcError::new(code::PARSE_ERROR, "the line is not UTF-8")))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| failure(Value::Null, &RpcError::new(code::PARSE_ERROR, format!("not JSON: {e}"))))?;
    let Value::Object(object) = value else {
        let message = if value.is_array() {
            "batch requests are not supported"
        } else {
            "a request must be a JSON object"
        };
        return Err(failure(Value::Null, &RpcError::new(code::INVALID_REQUEST, message)));
    };
    let id = object.get("id").cloned();
    // Only a string, number or null id can be echoed back.
    let reply_id = match &id {
        Some(v @ (Value::String(_) | Value::Number(_) | Value::Null)) => v.clone(),
        _ => Value::Null,
    };
    let invalid = |message: &str| failure(reply_id.clone(), &RpcError::new(code::INVALID_REQUEST, message));
    if object.get("jsonrpc") != Some(&json!("2.0")) {
        return Err(invalid("\"jsonrpc\" must be \"2.0\""));
    }
    if matches!(id, Some(Value::Array(_) | Value::Object(_) | Value::Bool(_))) {
        return Err(invalid("\"id\" must be a string, a number or null"));
    }
    let Some(Value::String(method)) = object.get("method") else {
        return Err(invalid("\"method\" must be a string"));
    };
    let params = match object.get("params") {
        None => json!({}),
        Some(p @ (Value::Object(_) | Value::Array(_))) => p.clone(),
        Some(_) => return Err(invalid("\"params\" must be an object or an array")),
    };
    Ok(Request {
        method: method.clone(),
        params,
        id,
    })
}

/// A success response.
pub fn success(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// An error response.
pub fn failure(id: Value, error: &RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": error.code, "message": error.message}})
}

/// The response to one request line, `None` for a notification (or a blank
/// line). `handle` runs the method.
pub fn respond(line: &[u8], handle: impl FnOnce(&Request) -> Result<Value, RpcError>) -> Option<Value> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let request = match parse(line) {
        Ok(request) => request,
        Err(response) => return Some(response),
    };
    let outcome = handle(&request);
    let id = request.id?;
    Some(match outcome {
        Ok(result) => success(id, result),
        Err(error) => failure(id, &error),
    })
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    fn answer(line: &str) -> Value {
        respond(line.as_bytes(), |r| Ok(json!({"echo": r.method}))).unwrap()
    }

    #[test]
    fn answers_a_request_with_its_id() {
        let reply = answer(r#"{"jsonrpc":"2.0","id":"a","method":"detect"}"#);
        assert_eq!(
            reply,
            json!({"jsonrpc": "2.0", "id": "a", "result": {"echo": "detect"}})
        );
    }

    #[test]
    fn refuses_what_is_not_a_request() {
        let cases = [
            ("not json", code::PARSE_ERROR),
            ("[1,2]", code::INVALID_REQUEST),
            ("42", code::INVALID_REQUEST),
            (r#"{"id":1,"method":"detect"}"#, code::INVALID_REQUEST),
            (r#"{"jsonrpc":"2.0","id":1,"method":7}"#, code::INVALID_REQUEST),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"detect","params":3}"#,
                code::INVALID_REQUEST,
            ),
            (r#"{"jsonrpc":"2.0","id":[1],"method":"detect"}"#, code::INVALID_REQUEST),
        ];
        for (line, expected) in cases {
            let reply = answer(line);
            assert_eq!(reply["error"]["code"], expected, "{line}: {reply}");
            assert!(reply.get("result").is_none());
        }
        assert_eq!(answer(r#"{"jsonrpc":"2.0","id":1,"method":7}"#)["id"], 1);
    }

    #[test]
    fn notifications_and_blank_lines_get_no_answer() {
        assert!(respond(br#"{"jsonrpc":"2.0","method":"detect"}"#, |_| Ok(json!({}))).is_none());
        assert!(respond(b"  ", |_| Ok(json!({}))).is_none());
        assert!(respond(&[0xff, 0xfe], |_| Ok(json!({}))).is_some());
    }
}
