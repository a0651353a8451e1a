-- Order user ids byte-wise, as Synapse does (it requires a C-collated database): "@amara97" < "@amara:" < "@amara_x"
-- whatever the locale of Steward's database, and the primary key index serves ORDER BY user_id directly.
ALTER TABLE "homeserver_users" ALTER COLUMN "user_id" SET DATA TYPE text COLLATE "C";
