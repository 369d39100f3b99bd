//! `/api/storage_plugin` and `/api/storage_resource`: the storage plugins
//! and the hardware they describe (docs/plugins.md): resources with their
//! attributes, latest statistics and relationships, and from a target the
//! path down to its disks.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, VecDeque};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::{id, Paging};
use crate::state::AppState;
use crate::views::{Page, PageMeta};
use store::storage::{ResourceField, ResourceOrder, ResourceSelection};

pub use api_types::storage::{PluginView, ResourceView};

/// List parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PluginParams {
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `name`, `state` or `restarts`; `-` first for descending.
    order_by: Option<String>,
}

/// The storage plugins, by name.
#[utoipa::path(
    get,
    path = "/api/storage_plugin",
    tag = "storage",
    params(PluginParams),
    responses(
        (status = 200, description = "A page of plugins", body = Envelope<Page<PluginView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn plugins(state: web::Data<AppState>, params: web::Query<PluginParams>) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let plugins = store::storage::plugin_views(&state.db).await?;
    let paging = Paging {
        limit: params.limit,
        offset: params.offset,
    };
    crate::routes::listing::page(
        plugins,
        paging,
        params.order_by.as_deref(),
        &["name", "state", "restarts"],
    )
}

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only this plugin's resources.
    plugin: Option<String>,
    /// Only resources of this class.
    class: Option<String>,
    /// Only the children of this resource.
    parent_id: Option<Uuid>,
    /// Only resources related to this one, either way.
    related_to: Option<Uuid>,
    /// Also resources gone from their plugin's last detection.
    #[serde(default)]
    include_removed: bool,
    /// `class`, `local_id` or `updated_at`, `-` first for descending;
    /// by plugin, class and id by default.
    order_by: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
}

/// Resources matching the filters, by plugin, class and id.
#[utoipa::path(
    get,
    path = "/api/storage_resource",
    tag = "storage",
    params(Filters),
    responses(
        (status = 200, description = "A page of resources", body = Envelope<Page<ResourceView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn resources(state: web::Data<AppState>, filters: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = filters.into_inner();
    let (limit, offset) = Paging {
        limit: f.limit,
        offset: f.offset,
    }
    .resolve()?;
    crate::routes::query::text(f.plugin.as_deref(), "plugin")?;
    crate::routes::query::text(f.class.as_deref(), "class")?;
    let order = match crate::routes::listing::order(f.order_by.as_deref(), &["class", "local_id", "updated_at"])? {
        None => ResourceOrder::Default,
        Some((field, descending)) => ResourceOrder::By {
            field: match field.as_str() {
                "class" => ResourceField::Class,
                "local_id" => ResourceField::LocalId,
                _ => ResourceField::UpdatedAt,
            },
            descending,
        },
    };
    let filter = store::storage::ResourceFilter {
        plugin: f.plugin,
        class: f.class,
        parent_id: f.parent_id,
        related_to: f.related_to,
        include_removed: f.include_removed,
    };
    let (objects, total) = store::storage::list_resources(
        &state.db,
        &filter,
        order,
        i64::try_from(limit).unwrap_or(i64::MAX),
        i64::try_from(offset).unwrap_or(i64::MAX),
    )
    .await?;
    let meta = PageMeta {
        total_count: u64::try_from(total).unwrap_or(0),
        limit,
        offset,
    };
    Ok(crate::respond::ok(Page { objects, meta }))
}

/// A relationship as seen from one resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct Related {
    /// `built_on`, `same_as`…
    kind: String,
    /// `to` when the resource depends on `resource`, `from` when
    /// `resource` depends on it.
    direction: String,
    resource: ResourceView,
}

/// A resource with everything around it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceDetail {
    #[serde(flatten)]
    resource: ResourceView,
    children: Vec<ResourceView>,
    related: Vec<Related>,
    /// The Lustre targets and file systems that depend on it.
    targets: BTreeSet<String>,
    filesystems: BTreeSet<String>,
}

/// One resource, its children, its relationships and what depends on it.
#[utoipa::path(
    get,
    path = "/api/storage_resource/{id}",
    tag = "storage",
    params(("id" = Uuid, Path, description = "The resource's id")),
    responses(
        (status = 200, description = "The resource", body = Envelope<ResourceDetail>),
        (status = 400, description = "The id is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such resource", body = ErrorEnvelope),
    ),
)]
pub async fn resource(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "storage resource")?;
    let resource = store::storage::resource_views(&state.db, ResourceSelection::Id(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("no storage resource {id}")))?;
    let children = store::storage::resource_views(&state.db, ResourceSelection::ChildrenOf(id)).await?;
    let mut related = Vec::new();
    for r in store::storage::relationships_of(&state.db, id).await? {
        if let Some(resource) = store::storage::resource_views(&state.db, ResourceSelection::Id(r.other))
            .await?
            .pop()
        {
            related.push(Related {
                kind: r.kind,
                direction: r.direction,
                resource,
            });
        }
    }
    let dependents = store::storage::dependents(&state.db, id).await?;
    Ok(crate::respond::ok(ResourceDetail {
        resource,
        children,
        related,
        targets: dependents.targets,
        filesystems: dependents.filesystems,
    }))
}

/// The resources a target stands on, from its volume down to the disks.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoragePath {
    /// Every resource on the way, each once.
    resources: Vec<ResourceView>,
    /// `[from, to, kind]`: `from` stands on `to` (`parent` for a
    /// resource's parent).
    edges: Vec<(Uuid, Uuid, String)>,
}

/// What a target's volume stands on: the resources that are its volume
/// (by serial), and everything they are built on, down to the disks and
/// the enclosures holding them.
#[utoipa::path(
    get,
    path = "/api/target/{id}/storage",
    tag = "storage",
    params(("id" = Uuid, Path, description = "The target's id")),
    responses(
        (status = 200, description = "The path down to the hardware", body = Envelope<StoragePath>),
        (status = 400, description = "The id is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such target", body = ErrorEnvelope),
    ),
)]
pub async fn target_path(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let target = id(&path, "target")?;
    let volume = store::targets::volume_of(&state.db, target)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no target {target}")))?;
    // What each resource stands on: its relationships' targets, the other
    // side of `same_as`, and its parent.
    let mut stands_on: HashMap<Uuid, Vec<(Uuid, String)>> = HashMap::new();
    for (a, b, kind) in store::storage::stands_on(&state.db).await? {
        stands_on.entry(a).or_default().push((b, kind));
    }
    let start = store::storage::resource_views(&state.db, ResourceSelection::OfVolume(volume)).await?;
    let mut seen: BTreeSet<Uuid> = start.iter().map(|r| r.id).collect();
    let mut queue: VecDeque<Uuid> = seen.iter().copied().collect();
    let mut edges = Vec::new();
    while let Some(next) = queue.pop_front() {
        for (to, kind) in stands_on.get(&next).into_iter().flatten() {
            edges.push((next, *to, kind.clone()));
            if seen.insert(*to) {
                queue.push_back(*to);
            }
        }
    }
    let ids: Vec<Uuid> = seen.into_iter().collect();
    let resources = store::storage::resource_views(&state.db, ResourceSelection::Ids(ids)).await?;
    Ok(crate::respond::ok(StoragePath { resources, edges }))
}

/// The body of `POST /api/storage_resource/{id}/action`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// One of the actions the resource's class declares.
    action: String,
    /// Its arguments, as the action declares them.
    #[serde(default)]
    args: serde_json::Map<String, serde_json::Value>,
}

/// The command that runs an action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionSubmitted {
    command: Uuid,
}

/// Runs a plugin's action on a resource as a job (holding a lock on the
/// resource); 400 naming `action` or `args.NAME` for what the resource's
/// class does not declare.
#[utoipa::path(
    post,
    path = "/api/storage_resource/{id}/action",
    tag = "storage",
    params(("id" = Uuid, Path, description = "The resource's id")),
    request_body = ActionRequest,
    responses(
        (status = 202, description = "The command that runs it", body = Envelope<ActionSubmitted>),
        (status = 400, description = "The id, action or arguments are invalid", body = ErrorEnvelope),
        (status = 404, description = "No such resource", body = ErrorEnvelope),
    ),
)]
pub async fn action(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<ActionRequest>,
) -> Result<HttpResponse, ApiError> {
    use sea_orm::TransactionTrait;
    let id = id(&path, "storage resource")?;
    let request = body.into_inner();
    if request.action.contains('\0') {
        return Err(ApiError::bad(
            "invalid_field",
            "action must not contain NUL characters",
            Some("action"),
        ));
    }
    if crate::routes::query::holds_nul(&serde_json::Value::Object(request.args.clone())) {
        return Err(ApiError::bad(
            "invalid_field",
            "args must not contain NUL characters",
            Some("args"),
        ));
    }
    let store::storage::Actionable {
        class,
        local_id,
        plugin,
        classes,
        levels,
    } = store::storage::actionable(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no storage resource {id}")))?;
    let declared = classes
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == class.as_str()))
        .and_then(|c| c["actions"].as_array())
        .and_then(|actions| actions.iter().find(|a| a["name"] == request.action.as_str()))
        .filter(|_| levels.iter().any(|l| l == "configure"));
    let Some(declared) = declared else {
        return Err(ApiError::bad(
            "invalid_field",
            format!("{plugin} offers no action {:?} on a {class}", request.action),
            Some("action"),
        ));
    };
    let names: Vec<&str> = declared["args"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["name"].as_str())
        .collect();
    if let Some(unknown) = request.args.keys().find(|k| !names.contains(&k.as_str())) {
        return Err(ApiError::bad(
            "invalid_field",
            format!(
                "{} takes no argument {unknown:?}; it takes {}",
                request.action,
                names.join(", ")
            ),
            Some(&format!("args.{unknown}")),
        ));
    }
    let label = declared["label"].as_str().unwrap_or(&request.action).to_owned();
    let action = lustre::Action::StorageAction {
        resource_id: id,
        action: request.action.clone(),
        args: request.args,
    };
    let command = lustre::submission::NewCommand {
        message: format!("{label} on {plugin} {class} {local_id}"),
        jobs: vec![lustre::submission::NewJob {
            key: "action".into(),
            description: format!("{label} ({plugin} {class} {local_id})"),
            steps: vec![action],
            // The plugin too: its actions run one at a time (a plugin's
            // state is its own, it need not guard it against itself).
            locks: vec![
                (lustre::Item::StorageResource(id).to_string(), true),
                (lustre::Item::StoragePlugin(plugin).to_string(), true),
            ],
            wait_for: Vec::new(),
        }],
    };
    let tx = state.db.begin().await?;
    let stored = store::commands::insert(&tx, &command).await?;
    tx.commit().await?;
    state.notify_scheduler(wire::messages::SchedulerMessage::CommandSubmitted { command_id: stored.id });
    Ok(crate::respond::with_status(
        actix_web::http::StatusCode::ACCEPTED,
        ActionSubmitted { command: stored.id },
    ))
}
