//! `/api/storage_plugin` and `/api/storage_resource`: the storage plugins
//! and the hardware they describe (docs/plugins.md): resources with their
//! attributes, latest statistics and relationships, and from a target the
//! path down to its disks.

use actix_web::{web, HttpResponse};
use common::envelope::Envelope;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, VecDeque};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::{id, Paging};
use crate::state::AppState;
use crate::views::Page;
use store::sql::query;

/// A storage plugin and how it runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginView {
    name: String,
    version: Option<String>,
    /// `detect`, and `monitor`, `configure` if it offers them.
    levels: Vec<String>,
    /// `starting`, `running`, `restarting` or `failed`.
    state: String,
    /// Why it is restarting or failed.
    error: Option<String>,
    restarts: i32,
    started_at: Option<chrono::DateTime<chrono::Utc>>,
    detected_at: Option<chrono::DateTime<chrono::Utc>>,
    monitored_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The resource classes it declared.
    classes: serde_json::Value,
    /// Its resources not removed.
    resources: i64,
}

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
    let rows = query(
        &state.db,
        "SELECT p.*, (SELECT count(*) FROM storage_resource r WHERE r.plugin = p.name AND r.removed_at IS NULL)
                AS resources
           FROM storage_plugin p ORDER BY p.name",
        [],
    )
    .await?;
    let plugins = rows
        .iter()
        .map(|r| {
            Ok(PluginView {
                name: r.try_get("", "name")?,
                version: r.try_get("", "version")?,
                levels: r.try_get("", "levels")?,
                state: r.try_get("", "state")?,
                error: r.try_get("", "error")?,
                restarts: r.try_get("", "restarts")?,
                started_at: r.try_get("", "started_at")?,
                detected_at: r.try_get("", "detected_at")?,
                monitored_at: r.try_get("", "monitored_at")?,
                classes: r.try_get("", "classes")?,
                resources: r.try_get("", "resources")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
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

/// One resource.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResourceView {
    id: Uuid,
    plugin: String,
    class: String,
    /// The plugin's own id for it.
    local_id: String,
    parent_id: Option<Uuid>,
    attributes: serde_json::Value,
    /// The latest value of each statistic.
    statistics: serde_json::Value,
    /// The Chroma volume it is, if any.
    volume_id: Option<Uuid>,
    /// When it went missing from its plugin's detection.
    removed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Its active alerts.
    alerts: i64,
}

const RESOURCE_COLUMNS: &str = "id, plugin, class, local_id, parent_id, attributes, statistics, volume_id, removed_at,
    (SELECT count(*) FROM alert a WHERE a.item = 'storage_resource/' || storage_resource.id AND a.cleared_at IS NULL)
        AS alerts";

fn resource_of(r: &sea_orm::QueryResult) -> Result<ResourceView, sea_orm::DbErr> {
    Ok(ResourceView {
        id: r.try_get("", "id")?,
        plugin: r.try_get("", "plugin")?,
        class: r.try_get("", "class")?,
        local_id: r.try_get("", "local_id")?,
        parent_id: r.try_get("", "parent_id")?,
        attributes: r.try_get("", "attributes")?,
        statistics: r.try_get("", "statistics")?,
        volume_id: r.try_get("", "volume_id")?,
        removed_at: r.try_get("", "removed_at")?,
        alerts: r.try_get("", "alerts")?,
    })
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
    let filter = "($1::text IS NULL OR plugin = $1) AND ($2::text IS NULL OR class = $2)
                  AND ($3::uuid IS NULL OR parent_id = $3)
                  AND ($4::uuid IS NULL OR id IN (SELECT to_id FROM storage_relationship WHERE from_id = $4
                                                  UNION SELECT from_id FROM storage_relationship WHERE to_id = $4))
                  AND ($5 OR removed_at IS NULL)";
    let order = match crate::routes::listing::order(f.order_by.as_deref(), &["class", "local_id", "updated_at"])? {
        None => "plugin, class, local_id".to_owned(),
        Some((field, descending)) => format!("{field} {}, id", if descending { "DESC" } else { "ASC" }),
    };
    let selection = crate::routes::listing::Selection {
        columns: RESOURCE_COLUMNS,
        table: "storage_resource",
        filter,
        order: &order,
        values: vec![
            f.plugin.clone().into(),
            f.class.clone().into(),
            f.parent_id.into(),
            f.related_to.into(),
            f.include_removed.into(),
        ],
    };
    let (rows, meta) = crate::routes::listing::sql_page(&state.db, selection, limit, offset).await?;
    let objects = rows.iter().map(resource_of).collect::<Result<Vec<_>, _>>()?;
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

async fn load(
    db: &impl sea_orm::ConnectionTrait,
    filter: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<ResourceView>, ApiError> {
    let rows = query(
        db,
        &format!("SELECT {RESOURCE_COLUMNS} FROM storage_resource WHERE {filter} ORDER BY class, local_id"),
        values,
    )
    .await?;
    Ok(rows.iter().map(resource_of).collect::<Result<Vec<_>, _>>()?)
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
    let resource = load(&state.db, "id = $1", vec![id.into()])
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("no storage resource {id}")))?;
    let children = load(&state.db, "parent_id = $1 AND removed_at IS NULL", vec![id.into()]).await?;
    let rows = query(
        &state.db,
        "SELECT kind, 'to' AS direction, to_id AS other FROM storage_relationship WHERE from_id = $1
         UNION ALL SELECT kind, 'from', from_id FROM storage_relationship WHERE to_id = $1",
        [id.into()],
    )
    .await?;
    let mut related = Vec::new();
    for row in &rows {
        let other: Uuid = row.try_get("", "other")?;
        if let Some(resource) = load(&state.db, "id = $1", vec![other.into()]).await?.pop() {
            related.push(Related {
                kind: row.try_get("", "kind")?,
                direction: row.try_get("", "direction")?,
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
    let rows = query(&state.db, "SELECT volume_id FROM target WHERE id = $1", [target.into()]).await?;
    let volume: Uuid = rows
        .first()
        .ok_or_else(|| ApiError::NotFound(format!("no target {target}")))?
        .try_get("", "volume_id")?;
    // What each resource stands on: its relationships' targets, the other
    // side of `same_as`, and its parent.
    let rows = query(
        &state.db,
        "SELECT from_id AS a, to_id AS b, kind FROM storage_relationship
         UNION ALL SELECT to_id, from_id, kind FROM storage_relationship WHERE kind = 'same_as'
         UNION ALL SELECT id, parent_id, 'parent' FROM storage_resource
          WHERE parent_id IS NOT NULL AND removed_at IS NULL",
        [],
    )
    .await?;
    let mut stands_on: HashMap<Uuid, Vec<(Uuid, String)>> = HashMap::new();
    for row in &rows {
        let a: Uuid = row.try_get("", "a")?;
        stands_on
            .entry(a)
            .or_default()
            .push((row.try_get("", "b")?, row.try_get("", "kind")?));
    }
    let start = load(&state.db, "volume_id = $1 AND removed_at IS NULL", vec![volume.into()]).await?;
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
    let resources = load(&state.db, "id = ANY($1)", vec![ids.into()]).await?;
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
    let rows = query(
        &state.db,
        "SELECT r.class, r.local_id, r.plugin, p.classes, p.levels FROM storage_resource r
           JOIN storage_plugin p ON p.name = r.plugin WHERE r.id = $1 AND r.removed_at IS NULL",
        [id.into()],
    )
    .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::NotFound(format!("no storage resource {id}")))?;
    let class: String = row.try_get("", "class")?;
    let local_id: String = row.try_get("", "local_id")?;
    let plugin: String = row.try_get("", "plugin")?;
    let classes: serde_json::Value = row.try_get("", "classes")?;
    let levels: Vec<String> = row.try_get("", "levels")?;
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
    let action = common::Action::StorageAction {
        resource_id: id,
        action: request.action.clone(),
        args: request.args,
    };
    let command = common::submission::NewCommand {
        message: format!("{label} on {plugin} {class} {local_id}"),
        jobs: vec![common::submission::NewJob {
            key: "action".into(),
            description: format!("{label} ({plugin} {class} {local_id})"),
            steps: vec![action],
            // The plugin too: its actions run one at a time (a plugin's
            // state is its own, it need not guard it against itself).
            locks: vec![
                (format!("storage_resource/{id}"), true),
                (format!("storage_plugin/{plugin}"), true),
            ],
            wait_for: Vec::new(),
        }],
    };
    let tx = state.db.begin().await?;
    let stored = store::commands::insert(&tx, &command).await?;
    tx.commit().await?;
    state.notify_scheduler(common::messages::SchedulerMessage::CommandSubmitted { command_id: stored.id });
    Ok(crate::respond::with_status(
        actix_web::http::StatusCode::ACCEPTED,
        ActionSubmitted { command: stored.id },
    ))
}
