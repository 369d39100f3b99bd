//! Every route of the API, registered in one place.

pub mod commands;
pub mod health;
pub mod hosts;
pub mod jobs;
pub mod query;
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
            .route("/volume", web::get().to(volumes::list)),
    );
}
