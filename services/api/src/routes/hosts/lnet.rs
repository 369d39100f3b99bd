//! `PUT /api/host/{id}/lnet {"networks": [{"net", "interfaces"}],
//! "confirm"?}[?dry_run=true]`: choose which interfaces form which LNet
//! networks on a server (`tcp(eth1)`, `o2ib(ib0,ib1)`); a job writes them
//! to `/etc/lnet.conf`, reloads LNet and records the NIDs it then has.
//! Targets that name the server's old NIDs keep them until the file
//! system is writeconf'd (`POST /api/filesystem/{id}/writeconf`).

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::lnet::LnetNetwork;
use lustre::plan::Goal;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;

/// The networks, in the order LNet should configure them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LnetConfig {
    /// 1 to 16 networks, each on 1 to 16 interfaces.
    #[schema(min_items = 1, max_items = 16)]
    networks: Vec<LnetNetwork>,
    /// Go ahead although it changes objects the request did not name.
    #[serde(default)]
    confirm: bool,
}

/// Plans the change of the host's LNet networks.
#[utoipa::path(
    put,
    path = "/api/host/{id}/lnet",
    tag = "host",
    params(("id" = Uuid, Path, description = "The host's id"), DryRun),
    request_body = LnetConfig,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and job", body = Envelope<Planned>),
        (status = 400, description = "The id or a network is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such host", body = ErrorEnvelope),
        (status = 409, description = "Targets are mounted on the host, it cannot serve Lustre, or work on it is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn put(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<LnetConfig>,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "host")?;
    let request = body.into_inner();
    let networks = lustre::lnet::validate(&request.networks)
        .map_err(|(field, why)| ApiError::bad("invalid_field", why, Some(&field)))?;
    let host = store::hosts::views(&state.db, store::hosts::HostSelection::Id(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("host {id} does not exist")))?;
    let label = host.nodename.unwrap_or(host.address);
    let message = format!("Configure LNet on {label}: {}", lustre::lnet::describe(&networks));
    let goal = Goal::ConfigureLnet { host: id, networks };
    change(&state, goal, message, query.dry_run, request.confirm).await
}
