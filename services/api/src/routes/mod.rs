//! Every route of the API, in one table with the role each needs. The same
//! table registers the routes and drives the authentication guard, so a
//! route cannot be added without saying who may call it.

pub mod alert_subscriptions;
pub mod alerts;
pub mod client_mounts;
pub mod commands;
pub mod data;
pub mod events;
pub mod filesystems;
pub mod ha;
pub mod health;
pub mod hosts;
pub mod hsm;
pub mod jobs;
pub mod listing;
pub mod logs;
pub mod metrics;
pub mod openapi;
pub mod ost_pools;
pub mod planning;
pub mod preferences;
pub mod query;
pub mod quotas;
pub mod session;
pub mod ssh_key;
pub mod storage;
pub mod stream;
pub mod targets;
pub mod tokens;
pub mod users;
pub mod version;
pub mod volumes;

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{web, Route};
use std::sync::OnceLock;

use crate::auth::{Access, Role};

const PUBLIC: Access = Access::Public;
const READ: Access = Access::Role(Role::Readonly);
const FS: Access = Access::Role(Role::Fsadmin);
const SUPER: Access = Access::Role(Role::Superuser);

/// Path prefixes the API answers on: `/api` is version 1, and so is
/// `/api/v1`; a breaking change would add `/api/v2` beside them.
pub const PREFIXES: [&str; 2] = ["/api/v1", "/api"];

/// Every route: method, path under the prefix, who may call it, handler.
fn table() -> Vec<(Method, &'static str, Access, Route)> {
    use Method as M;
    vec![
        (M::GET, "/health", PUBLIC, web::get().to(health::get)),
        (M::GET, "/version", PUBLIC, web::get().to(version::get)),
        (M::GET, "/openapi.json", PUBLIC, web::get().to(openapi::get)),
        (M::POST, "/session", PUBLIC, web::post().to(session::create)),
        (M::GET, "/session", READ, web::get().to(session::get)),
        (M::DELETE, "/session", READ, web::delete().to(session::delete)),
        (M::GET, "/token", READ, web::get().to(tokens::list)),
        (M::POST, "/token", READ, web::post().to(tokens::create)),
        (M::DELETE, "/token/{id}", READ, web::delete().to(tokens::delete)),
        (M::GET, "/preference/{key}", READ, web::get().to(preferences::get)),
        (M::PUT, "/preference/{key}", READ, web::put().to(preferences::put)),
        (M::GET, "/user", SUPER, web::get().to(users::list)),
        (M::POST, "/user", SUPER, web::post().to(users::create)),
        (M::PATCH, "/user/{id}", SUPER, web::patch().to(users::update)),
        (M::GET, "/command", READ, web::get().to(commands::list::handle)),
        (M::POST, "/command", SUPER, web::post().to(commands::create::handle)),
        (M::GET, "/command/{id}", READ, web::get().to(commands::get::handle)),
        (
            M::POST,
            "/command/{id}/cancel",
            FS,
            web::post().to(commands::cancel::handle),
        ),
        (M::GET, "/job", READ, web::get().to(jobs::list::handle)),
        (M::GET, "/job/{id}", READ, web::get().to(jobs::get::handle)),
        (M::POST, "/job/{id}/cancel", FS, web::post().to(jobs::control::cancel)),
        (M::POST, "/job/{id}/pause", FS, web::post().to(jobs::control::pause)),
        (M::POST, "/job/{id}/resume", FS, web::post().to(jobs::control::resume)),
        (M::GET, "/ha_cluster", READ, web::get().to(ha::list::handle)),
        (M::POST, "/ha_cluster", SUPER, web::post().to(ha::create::handle)),
        (M::GET, "/ha_cluster/{id}", READ, web::get().to(ha::list::get)),
        (
            M::POST,
            "/ha_cluster/{id}/configure",
            SUPER,
            web::post().to(ha::create::configure),
        ),
        (M::GET, "/host", READ, web::get().to(hosts::list::handle)),
        (M::POST, "/host", SUPER, web::post().to(hosts::create::handle)),
        (M::POST, "/host/scan", SUPER, web::post().to(hosts::scan::handle)),
        (M::GET, "/host/metric", READ, web::get().to(metrics::all::hosts)),
        (M::GET, "/host/{id}", READ, web::get().to(hosts::list::get)),
        (M::GET, "/host/{id}/metric", READ, web::get().to(metrics::object::host)),
        (M::PATCH, "/host/{id}", SUPER, web::patch().to(hosts::change::patch)),
        (M::PUT, "/host/{id}/lnet", SUPER, web::put().to(hosts::lnet::put)),
        (M::POST, "/host/{id}/probe", SUPER, web::post().to(hosts::create::probe)),
        (M::GET, "/ssh_key", READ, web::get().to(ssh_key::get)),
        (M::GET, "/volume", READ, web::get().to(volumes::list)),
        (M::GET, "/filesystem", READ, web::get().to(filesystems::list::handle)),
        (M::POST, "/filesystem", FS, web::post().to(filesystems::create::handle)),
        (
            M::POST,
            "/filesystem/detect",
            FS,
            web::post().to(filesystems::detect::handle),
        ),
        (
            M::GET,
            "/filesystem/metric",
            READ,
            web::get().to(metrics::all::filesystems),
        ),
        (M::GET, "/filesystem/{id}", READ, web::get().to(filesystems::list::get)),
        (
            M::GET,
            "/filesystem/{id}/metric",
            READ,
            web::get().to(metrics::object::filesystem),
        ),
        (
            M::GET,
            "/filesystem/{id}/job_stats",
            READ,
            web::get().to(metrics::jobs::filesystem),
        ),
        (
            M::PATCH,
            "/filesystem/{id}",
            FS,
            web::patch().to(filesystems::change::patch),
        ),
        (
            M::POST,
            "/filesystem/{id}/writeconf",
            FS,
            web::post().to(filesystems::writeconf::post),
        ),
        (
            M::POST,
            "/filesystem/{id}/failback",
            FS,
            web::post().to(filesystems::failback::post),
        ),
        (
            M::POST,
            "/filesystem/{id}/mirror",
            FS,
            web::post().to(data::mirror::post),
        ),
        (
            M::GET,
            "/filesystem/{id}/layout",
            READ,
            web::get().to(data::layout::get),
        ),
        (
            M::POST,
            "/filesystem/{id}/migrate",
            FS,
            web::post().to(data::migrate::post),
        ),
        (
            M::POST,
            "/filesystem/{id}/stripe",
            FS,
            web::post().to(data::stripe::post),
        ),
        (
            M::PUT,
            "/filesystem/{id}/conf_params",
            FS,
            web::put().to(filesystems::params::put_conf_params),
        ),
        (M::GET, "/param", READ, web::get().to(filesystems::params::known)),
        (M::GET, "/ost_pool", READ, web::get().to(ost_pools::list::handle)),
        (M::POST, "/ost_pool", FS, web::post().to(ost_pools::create::handle)),
        (M::GET, "/ost_pool/{id}", READ, web::get().to(ost_pools::list::get)),
        (
            M::PATCH,
            "/ost_pool/{id}",
            FS,
            web::patch().to(ost_pools::change::patch),
        ),
        (
            M::DELETE,
            "/ost_pool/{id}",
            FS,
            web::delete().to(ost_pools::change::delete),
        ),
        (
            M::GET,
            "/client_mount",
            READ,
            web::get().to(client_mounts::list::handle),
        ),
        (
            M::POST,
            "/client_mount",
            FS,
            web::post().to(client_mounts::create::handle),
        ),
        (
            M::GET,
            "/client_mount/{id}",
            READ,
            web::get().to(client_mounts::list::get),
        ),
        (
            M::PATCH,
            "/client_mount/{id}",
            FS,
            web::patch().to(client_mounts::change::patch),
        ),
        (
            M::DELETE,
            "/client_mount/{id}",
            FS,
            web::delete().to(client_mounts::change::delete),
        ),
        (
            M::PUT,
            "/filesystem/{id}/quota",
            FS,
            web::put().to(quotas::enforce::handle),
        ),
        (
            M::PUT,
            "/filesystem/{id}/quota/grace",
            FS,
            web::put().to(quotas::grace::handle),
        ),
        (M::GET, "/quota", READ, web::get().to(quotas::list::handle)),
        (M::GET, "/copytool", READ, web::get().to(hsm::copytools::list)),
        (M::POST, "/copytool", FS, web::post().to(hsm::copytools::create)),
        (M::GET, "/copytool/{id}", READ, web::get().to(hsm::copytools::get)),
        (M::PATCH, "/copytool/{id}", FS, web::patch().to(hsm::copytools::patch)),
        (
            M::DELETE,
            "/copytool/{id}",
            FS,
            web::delete().to(hsm::copytools::delete),
        ),
        (M::GET, "/filesystem/{id}/hsm", READ, web::get().to(hsm::status::get)),
        (M::PUT, "/filesystem/{id}/hsm", FS, web::put().to(hsm::status::put)),
        (
            M::GET,
            "/filesystem/{id}/hsm/state",
            READ,
            web::get().to(hsm::status::file),
        ),
        (
            M::POST,
            "/filesystem/{id}/hsm/request",
            FS,
            web::post().to(hsm::request::post),
        ),
        (M::POST, "/quota", FS, web::post().to(quotas::set::handle)),
        (M::GET, "/quota/{id}", READ, web::get().to(quotas::list::get)),
        (M::DELETE, "/quota/{id}", FS, web::delete().to(quotas::set::delete)),
        (
            M::GET,
            "/filesystem/{id}/params",
            READ,
            web::get().to(filesystems::params::list),
        ),
        (
            M::PUT,
            "/filesystem/{id}/params",
            FS,
            web::put().to(filesystems::params::put),
        ),
        (
            M::POST,
            "/filesystem/{id}/params/adopt",
            FS,
            web::post().to(filesystems::params::adopt),
        ),
        (
            M::GET,
            "/target/{id}/params",
            READ,
            web::get().to(filesystems::params::list_for_target),
        ),
        (
            M::PUT,
            "/target/{id}/params",
            FS,
            web::put().to(filesystems::params::put_for_target),
        ),
        (M::GET, "/target", READ, web::get().to(targets::list::handle)),
        (M::POST, "/target", FS, web::post().to(targets::add::handle)),
        (M::POST, "/target/{id}/drain", FS, web::post().to(targets::drain::drain)),
        (
            M::POST,
            "/target/{id}/undrain",
            FS,
            web::post().to(targets::drain::undrain),
        ),
        (M::GET, "/target/metric", READ, web::get().to(metrics::all::targets)),
        (M::GET, "/target/{id}", READ, web::get().to(targets::list::get)),
        (
            M::GET,
            "/target/{id}/metric",
            READ,
            web::get().to(metrics::object::target),
        ),
        (
            M::GET,
            "/target/{id}/job_stats",
            READ,
            web::get().to(metrics::jobs::target),
        ),
        (M::PATCH, "/target/{id}", FS, web::patch().to(targets::change::patch)),
        (
            M::POST,
            "/target/{id}/failover",
            FS,
            web::post().to(targets::change::failover),
        ),
        (
            M::POST,
            "/target/{id}/failback",
            FS,
            web::post().to(targets::change::failback),
        ),
        (M::GET, "/alert", READ, web::get().to(alerts::list::list)),
        (
            M::POST,
            "/alert/acknowledge",
            FS,
            web::post().to(alerts::acknowledge::many),
        ),
        (M::GET, "/alert/{id}", READ, web::get().to(alerts::get)),
        (
            M::POST,
            "/alert/{id}/acknowledge",
            FS,
            web::post().to(alerts::acknowledge::one),
        ),
        (
            M::GET,
            "/alert_subscription",
            READ,
            web::get().to(alert_subscriptions::list::handle),
        ),
        (
            M::POST,
            "/alert_subscription",
            READ,
            web::post().to(alert_subscriptions::create::handle),
        ),
        (
            M::PATCH,
            "/alert_subscription/{id}",
            READ,
            web::patch().to(alert_subscriptions::change::patch),
        ),
        (
            M::DELETE,
            "/alert_subscription/{id}",
            READ,
            web::delete().to(alert_subscriptions::change::delete),
        ),
        (
            M::POST,
            "/alert_subscription/{id}/test",
            READ,
            web::post().to(alert_subscriptions::test::handle),
        ),
        (
            M::GET,
            "/alert_delivery",
            READ,
            web::get().to(alert_subscriptions::deliveries::list),
        ),
        (M::GET, "/storage_plugin", READ, web::get().to(storage::plugins)),
        (M::GET, "/storage_resource", READ, web::get().to(storage::resources)),
        (M::GET, "/storage_resource/{id}", READ, web::get().to(storage::resource)),
        (
            M::POST,
            "/storage_resource/{id}/action",
            FS,
            web::post().to(storage::action),
        ),
        (
            M::GET,
            "/target/{id}/storage",
            READ,
            web::get().to(storage::target_path),
        ),
        (M::GET, "/stream", READ, web::get().to(stream::get)),
        (M::GET, "/event", READ, web::get().to(events::list)),
        (M::GET, "/log", READ, web::get().to(logs::list)),
    ]
}

/// Every route as `(method, path under /api, access)`, for the guard and
/// for tests that check each one.
pub fn endpoints() -> Vec<(Method, &'static str, Access)> {
    table().into_iter().map(|(m, p, a, _)| (m, p, a)).collect()
}

/// Who may call `method path`. An API path the table does not know still
/// needs a login, so an unauthenticated caller learns nothing from a 404.
pub fn access(method: &Method, path: &str) -> Access {
    static DEFS: OnceLock<Vec<(Method, ResourceDef, Access)>> = OnceLock::new();
    let defs = DEFS.get_or_init(|| {
        endpoints()
            .into_iter()
            .map(|(m, p, a)| (m, ResourceDef::new(p), a))
            .collect()
    });
    let Some(rest) = PREFIXES.iter().find_map(|prefix| path.strip_prefix(prefix)) else {
        // Outside the API are the console's static files, which hold no
        // data (the login page must load before a login) and are only
        // read, and `/metrics`.
        let static_file =
            matches!(*method, Method::GET | Method::HEAD) && path != "/metrics" && !path.starts_with("/api");
        return if static_file { PUBLIC } else { READ };
    };
    defs.iter()
        .find(|(m, def, _)| m == method && def.is_match(rest))
        .map_or(READ, |(_, _, a)| *a)
}

/// Registers the routes under each prefix, behind the guard.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for prefix in PREFIXES {
        let mut scope = web::scope(prefix);
        for (_, path, _, route) in table() {
            scope = scope.route(path, route);
        }
        cfg.service(scope);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_follows_the_table_on_every_prefix() {
        assert_eq!(access(&Method::GET, "/api/health"), PUBLIC);
        assert_eq!(access(&Method::POST, "/api/session"), PUBLIC);
        assert_eq!(access(&Method::POST, "/api/v1/host"), SUPER);
        assert_eq!(access(&Method::PATCH, "/api/target/abc"), FS);
        assert_eq!(access(&Method::GET, "/api/target/abc"), READ);
        assert_eq!(access(&Method::POST, "/api/filesystem/detect"), FS);
        assert_eq!(access(&Method::DELETE, "/api/nothing/here"), READ);
        assert_eq!(access(&Method::GET, "/api-elsewhere"), READ);
        assert_eq!(access(&Method::GET, "/metrics"), READ);
        assert_eq!(access(&Method::GET, "/dashboard"), PUBLIC);
        assert_eq!(access(&Method::GET, "/assets/index.js"), PUBLIC);
        assert_eq!(access(&Method::POST, "/dashboard"), READ);
    }
}
