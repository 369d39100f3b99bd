//! `GET /api/openapi.json`: the OpenAPI document of this API, generated
//! from the handlers' `#[utoipa::path]` annotations. Public.
//!
//! Who may call an operation is not written on each handler: it comes from
//! the route table (`routes::access`), the same one the guard enforces, so
//! the document's security cannot drift from the server's.

use actix_web::http::Method;
use actix_web::HttpResponse;
use api_types::envelope::ErrorBody;
use std::sync::OnceLock;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use super::alert_subscriptions;
use super::client_mounts;
use super::data;
use super::hsm;
use super::ost_pools;
use super::quotas;
use super::{
    alerts, commands, events, filesystems, health, hosts, jobs, session, ssh_key, stream, targets, tokens, users,
};
use super::{ha, logs, metrics, preferences, storage, version, volumes};
use crate::auth::{Access, COOKIE};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chroma API",
        version = version::API_VERSION,
        license(name = "MIT", identifier = "MIT"),
        description = "Manage Lustre file systems. Every response is the envelope \
            `{\"success\", \"errors\": [{\"code\", \"message\", \"field\"}], \"response\"}`. \
            Paths are also served under `/api/v1`."
    ),
    paths(
        health::get,
        version::get,
        get,
        session::create,
        session::get,
        session::delete,
        tokens::list,
        tokens::create,
        tokens::delete,
        preferences::get,
        preferences::put,
        users::list,
        users::create,
        users::update,
        commands::list::handle,
        commands::create::handle,
        commands::get::handle,
        commands::cancel::handle,
        jobs::list::handle,
        jobs::get::handle,
        jobs::control::cancel,
        jobs::control::pause,
        jobs::control::resume,
        ha::list::handle,
        ha::create::handle,
        ha::list::get,
        ha::create::configure,
        hosts::list::handle,
        hosts::create::handle,
        hosts::scan::handle,
        hosts::list::get,
        hosts::change::patch,
        hosts::lnet::put,
        hosts::create::probe,
        ssh_key::get,
        volumes::list,
        filesystems::list::handle,
        filesystems::create::handle,
        filesystems::detect::handle,
        filesystems::list::get,
        filesystems::change::patch,
        filesystems::writeconf::post,
        filesystems::failback::post,
        filesystems::params::put,
        filesystems::params::put_conf_params,
        filesystems::params::known,
        filesystems::params::list,
        filesystems::params::adopt,
        filesystems::params::list_for_target,
        filesystems::params::put_for_target,
        targets::list::handle,
        targets::list::get,
        targets::change::patch,
        targets::change::failover,
        targets::change::failback,
        targets::add::handle,
        targets::drain::drain,
        targets::drain::undrain,
        ost_pools::list::handle,
        ost_pools::list::get,
        ost_pools::create::handle,
        ost_pools::change::patch,
        ost_pools::change::delete,
        client_mounts::list::handle,
        client_mounts::list::get,
        client_mounts::create::handle,
        client_mounts::change::patch,
        client_mounts::change::delete,
        hsm::copytools::list,
        hsm::copytools::get,
        hsm::copytools::create,
        hsm::copytools::patch,
        hsm::copytools::delete,
        hsm::status::get,
        hsm::status::put,
        hsm::status::file,
        hsm::request::post,
        quotas::enforce::handle,
        quotas::grace::handle,
        quotas::list::handle,
        quotas::list::get,
        quotas::set::handle,
        quotas::set::delete,
        data::mirror::post,
        data::layout::get,
        data::migrate::post,
        data::stripe::post,
        alerts::list::list,
        alerts::get,
        alerts::acknowledge::one,
        alerts::acknowledge::many,
        alert_subscriptions::list::handle,
        alert_subscriptions::create::handle,
        alert_subscriptions::change::patch,
        alert_subscriptions::change::delete,
        alert_subscriptions::test::handle,
        alert_subscriptions::deliveries::list,
        logs::list,
        metrics::object::filesystem,
        metrics::object::target,
        metrics::object::host,
        metrics::all::filesystems,
        metrics::all::targets,
        metrics::all::hosts,
        metrics::jobs::filesystem,
        metrics::jobs::target,
        storage::plugins,
        storage::resources,
        storage::resource,
        storage::action,
        storage::target_path,
        stream::get,
        events::list,
    ),
    components(schemas(ErrorEnvelope, ErrorBody)),
    modifiers(&RouteTable),
)]
pub struct ApiDoc;

/// The document as served, built once.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        // Serialising a tree of maps and strings cannot fail.
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        camel_case_links(&mut doc);
        doc.to_string()
    })
}

/// utoipa 5 writes a Link Object's fields in snake case (`operation_id`);
/// OpenAPI spells them in camel case (`operationId`), and clients that
/// follow links (schemathesis) read only that.
fn camel_case_links(doc: &mut serde_json::Value) {
    let operations = doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let links = operation["responses"]
            .as_object_mut()
            .into_iter()
            .flat_map(|responses| responses.values_mut())
            .filter_map(|response| response.get_mut("links").and_then(serde_json::Value::as_object_mut))
            .flat_map(|links| links.values_mut())
            .filter_map(serde_json::Value::as_object_mut);
        for link in links {
            for (snake, camel) in [
                ("operation_id", "operationId"),
                ("operation_ref", "operationRef"),
                ("request_body", "requestBody"),
            ] {
                if let Some(value) = link.remove(snake) {
                    link.insert(camel.to_owned(), value);
                }
            }
        }
    }
}

/// The OpenAPI 3 document of this API.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document (not in the envelope)", body = Object)),
)]
pub async fn get() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(document())
}

/// The body of every refused or failed request: `success` false, at least
/// one error, `response` null.
pub struct ErrorEnvelope;

impl PartialSchema for ErrorEnvelope {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("A refused or failed request"))
            .property(
                "success",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .enum_values(Some([false])),
            )
            .required("success")
            .property(
                "errors",
                ArrayBuilder::new()
                    .items(Ref::from_schema_name(ErrorBody::name()))
                    .min_items(Some(1)),
            )
            .required("errors")
            .property("response", ObjectBuilder::new().schema_type(Type::Null))
            .required("response")
            .into()
    }
}

impl ToSchema for ErrorEnvelope {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((ErrorBody::name().into_owned(), ErrorBody::schema()));
    }
}

/// Adds what the route table says: the security schemes, each protected
/// operation's login requirement and role, and the errors any operation
/// may answer.
struct RouteTable;

const BEARER: &str = "bearer";
const SESSION_COOKIE: &str = "session_cookie";

fn error(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                .build(),
        )
        .into()
}

fn operations(item: &mut PathItem) -> [(Method, &mut Option<Operation>); 5] {
    [
        (Method::GET, &mut item.get),
        (Method::POST, &mut item.post),
        (Method::PUT, &mut item.put),
        (Method::PATCH, &mut item.patch),
        (Method::DELETE, &mut item.delete),
    ]
}

/// `get_filesystem_id` for `GET /api/filesystem/{id}`.
fn operation_id(method: &Method, path: &str) -> String {
    let rest = path.trim_start_matches("/api/");
    let words: String = rest
        .chars()
        .filter(|c| !matches!(c, '{' | '}'))
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{}_{words}", method.as_str().to_ascii_lowercase())
}

impl Modify for RouteTable {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A session token from POST /api/session, or an API token"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            SESSION_COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                COOKIE,
                "The HttpOnly cookie POST /api/session sets, for the console",
            ))),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                let Some(operation) = operation else { continue };
                // Handlers share names (`handle`, `get`); the route does not.
                operation.operation_id = Some(operation_id(&method, path));
                operation
                    .responses
                    .responses
                    .entry("503".into())
                    .or_insert_with(|| error("A dependency (the database) is unavailable; try again shortly"));
                let Access::Role(role) = super::access(&method, path) else {
                    continue;
                };
                operation.security = Some(vec![
                    SecurityRequirement::new(BEARER, Vec::<String>::new()),
                    SecurityRequirement::new(SESSION_COOKIE, Vec::<String>::new()),
                ]);
                let needs = format!("Needs the `{}` role or higher.", role.as_str());
                operation.description = Some(match operation.description.take() {
                    Some(text) => format!("{text}\n\n{needs}"),
                    None => needs,
                });
                let responses = &mut operation.responses.responses;
                responses
                    .entry("401".into())
                    .or_insert_with(|| error("No token, or an unknown, expired or revoked one"));
                responses
                    .entry("403".into())
                    .or_insert_with(|| error(&format!("The caller's role is below {}", role.as_str())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_its_security() {
        let doc = ApiDoc::openapi();
        for (method, path, access) in super::super::endpoints() {
            let full = format!("/api{path}");
            let mut item = doc.paths.paths.get(&full).cloned().unwrap_or_default();
            let operation = operations(&mut item)
                .into_iter()
                .find(|(m, _)| *m == method)
                .and_then(|(_, o)| o.take());
            let Some(operation) = operation else {
                panic!("{method} {full} is not in the OpenAPI document");
            };
            assert_eq!(
                operation.security.is_some(),
                access != Access::Public,
                "{method} {full}: security"
            );
        }
        assert_eq!(doc.info.version, version::API_VERSION);
    }
}
