//! `storage_action`: runs a storage plugin's configure action on one of its
//! resources (docs/plugins.md). The worker starts its own process of the
//! plugin from the same manifest the plugin service uses, checks the
//! request against what the plugin declares and detects, runs the action,
//! and records the plugin's detection right after it, so what the action
//! made shows at once.

use plugin_host::process::{PluginProcess, CONFIGURE_LIMIT, DETECT_LIMIT, INITIALIZE_LIMIT};
use plugin_host::protocol::{self, ConfigureParams, InitializeParams, Level, Manifest};
use plugin_host::validate;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// Runs `action` with `args` on resource `resource_id`.
pub async fn run(
    shared: &Shared,
    resource_id: Uuid,
    action: &str,
    args: &Map<String, Value>,
) -> Result<Value, ActionError> {
    let (plugin, local_id) = store::storage::live_resource_of_plugin(&shared.db, resource_id)
        .await
        .map_err(db_error("read the storage resource"))?
        .ok_or_else(|| ActionError::Refused(format!("storage resource {resource_id} is gone")))?;
    let path = shared.settings.plugin_dir.join(format!("{plugin}.json"));
    let manifest = Manifest::load(&path).map_err(|e| ActionError::Refused(format!("plugin {plugin}: {e}")))?;
    let mut process =
        PluginProcess::spawn(&manifest).map_err(|e| ActionError::Command(format!("plugin {plugin}: {e}")))?;
    let outcome = configure(shared, &mut process, &plugin, &local_id, action, args).await;
    if let Err(e) = process.shutdown().await {
        tracing::warn!(plugin, "plugin did not stop cleanly: {e}");
    }
    outcome
}

async fn configure(
    shared: &Shared,
    process: &mut PluginProcess,
    plugin: &str,
    local_id: &str,
    action: &str,
    args: &Map<String, Value>,
) -> Result<Value, ActionError> {
    // The plugin's answer, whatever went wrong in talking to it.
    let failed = |e: &dyn std::fmt::Display| ActionError::Command(format!("plugin {plugin}: {e}"));
    let hosts = plugin_host::service::hosts(&shared.db).await.map_err(|e| failed(&e))?;
    let params = InitializeParams {
        protocol: protocol::PROTOCOL_VERSION,
        chroma_version: env!("CARGO_PKG_VERSION").to_owned(),
        hosts,
        ssh_key: shared.settings.ssh_key_path.clone(),
    };
    let params = serde_json::to_value(&params).map_err(|e| failed(&e))?;
    let answer = process
        .call(protocol::INITIALIZE, params, INITIALIZE_LIMIT)
        .await
        .map_err(|e| failed(&e))?;
    let def = validate::check_initialize(&answer, plugin).map_err(|e| failed(&format!("initialize: {e}")))?;
    if !def.has_level(Level::Configure) {
        return Err(ActionError::Refused(format!("plugin {plugin} offers no actions")));
    }
    let inventory = detect(process, &def).await.map_err(|e| failed(&e))?;
    let request = ConfigureParams {
        action: action.to_owned(),
        resource: local_id.to_owned(),
        args: args.clone(),
    };
    validate::check_configure(&def, &inventory, &request).map_err(|e| failed(&e))?;
    let answer = process
        .call(
            protocol::CONFIGURE,
            serde_json::to_value(&request).map_err(|e| failed(&e))?,
            CONFIGURE_LIMIT,
        )
        .await
        .map_err(|e| failed(&e))?;
    let done = validate::check_configure_result(&answer).map_err(|e| failed(&e))?;
    // What the action made or changed, recorded now rather than at the
    // plugin service's next detection.
    let after = detect(process, &def).await.map_err(|e| failed(&e))?;
    let (detected, relationships) = plugin_host::service::detection(&def, &after);
    store::storage::record_detection(&shared.db, plugin, &detected, &relationships)
        .await
        .map_err(db_error("record the plugin's detection"))?;
    Ok(json!({"plugin": plugin, "resource": local_id, "action": action, "message": done.message}))
}

async fn detect(process: &mut PluginProcess, def: &validate::Definition) -> Result<validate::Inventory, ActionError> {
    let answer = process
        .call(protocol::DETECT, json!({}), DETECT_LIMIT)
        .await
        .map_err(|e| ActionError::Command(e.to_string()))?;
    validate::check_detect(def, &answer).map_err(|e| ActionError::Command(e.to_string()))
}
