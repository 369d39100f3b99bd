//! Every route of the API, registered in one place.

pub mod alerts;
pub mod commands;
pub mod filesystems;
pub mod health;
pub mod hosts;
pub mod jobs;
pub mod planning;
pub mod query;
pub mod ssh_key;
pub mod targets;
pub mod volumes;

use actix_web::web;

/// Registers the routes under `/api`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .route("/health", web::get().to(health::get))
            .route("/command", web::get().to(commands::list::handle))
            .route("/command", web::post().to(commands::create::handle))
            .route("/command/{id}", web::get().to(commands::get::handle))
            .route("/command/{id}/cancel", web::post().to(commands::cancel::handle))
            .route("/job", web::get().to(jobs::list::handle))
            .route("/job/{id}", web::get().to(jobs::get::handle))
            .route("/job/{id}/cancel", web::post().to(jobs::control::cancel))
            .route("/job/{id}/pause", web::post().to(jobs::control::pause))
            .route("/job/{id}/resume", web::post().to(jobs::control::resume))
            .route("/host", web::get().to(hosts::list::handle))
            .route("/host", web::post().to(hosts::create::handle))
            .route("/host/{id}", web::get().to(hosts::list::get))
            .route("/host/{id}", web::patch().to(hosts::change::patch))
            .route("/volume", web::get().to(volumes::list))
            .route("/filesystem", web::get().to(filesystems::list::handle))
            .route("/filesystem", web::post().to(filesystems::create::handle))
            .route("/filesystem/detect", web::post().to(filesystems::detect::handle))
            .route("/filesystem/{id}", web::get().to(filesystems::list::get))
            .route("/filesystem/{id}", web::patch().to(filesystems::change::patch))
            .route("/target", web::get().to(targets::list::handle))
            .route("/target/{id}", web::get().to(targets::list::get))
            .route("/target/{id}", web::patch().to(targets::change::patch))
            .route("/target/{id}/failover", web::post().to(targets::change::failover))
            .route("/target/{id}/failback", web::post().to(targets::change::failback))
            .route("/alert", web::get().to(alerts::list))
            .route("/ssh_key", web::get().to(ssh_key::get)),
    );
}
