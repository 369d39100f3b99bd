//! A job: ordered steps, locks and dependencies.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub command_id: Uuid,
    pub key: String,
    pub description: String,
    pub seq: i64,
    pub state: String,
    pub step_count: i32,
    pub error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub started_at: Option<ChronoDateTimeUtc>,
    pub finished_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::command::Entity",
        from = "Column::CommandId",
        to = "super::command::Column::Id"
    )]
    Command,
    #[sea_orm(has_many = "super::step::Entity")]
    Step,
}

impl Related<super::command::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Command.def()
    }
}

impl Related<super::step::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Step.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
