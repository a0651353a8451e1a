CREATE TABLE "mas_auth_requests" (
	"state_hash" text PRIMARY KEY NOT NULL,
	"browser_hash" text NOT NULL,
	"code_verifier_enc" text NOT NULL,
	"issuer" text NOT NULL,
	"client_id" text NOT NULL,
	"redirect_uri" text NOT NULL,
	"token_endpoint" text NOT NULL,
	"revocation_endpoint" text,
	"next" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mas_clients" (
	"issuer" text NOT NULL,
	"redirect_uri" text NOT NULL,
	"client_id" text NOT NULL,
	"registered_at" timestamp with time zone NOT NULL,
	CONSTRAINT "mas_clients_issuer_redirect_uri_pk" PRIMARY KEY("issuer","redirect_uri")
);
--> statement-breakpoint
CREATE TABLE "mas_session_grants" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"issuer" text NOT NULL,
	"client_id" text NOT NULL,
	"token_endpoint" text NOT NULL,
	"revocation_endpoint" text,
	"refresh_token_enc" text NOT NULL,
	"access_expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mas_session_grants" ADD CONSTRAINT "mas_session_grants_id_hash_admin_sessions_id_hash_fk" FOREIGN KEY ("id_hash") REFERENCES "public"."admin_sessions"("id_hash") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mas_auth_requests_expires_idx" ON "mas_auth_requests" USING btree ("expires_at");