CREATE TABLE `service_accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` integer NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_accounts_team_name_idx` ON `service_accounts` (`team_id`,`name`);--> statement-breakpoint
CREATE TABLE `team_members` (
	`team_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`is_admin` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`team_id`, `user_id`),
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `team_members_user_idx` ON `team_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `teams` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`org_id` integer NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
	`excluded_models` text DEFAULT '[]' NOT NULL,
	`merge_model_exclusions` integer DEFAULT true NOT NULL,
	`excluded_mcp_servers` text DEFAULT '[]' NOT NULL,
	`merge_mcp_exclusions` integer DEFAULT true NOT NULL,
	`rpm` integer,
	`itpm` integer,
	`otpm` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `teams_org_name_idx` ON `teams` (`org_id`,`name`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `service_account_id` integer REFERENCES service_accounts(id);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `rpm` integer;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `itpm` integer;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `otpm` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_service_account_idx` ON `api_keys` (`service_account_id`);--> statement-breakpoint
ALTER TABLE `orgs` ADD `excluded_models` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `orgs` ADD `merge_model_exclusions` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `orgs` ADD `excluded_mcp_servers` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `orgs` ADD `merge_mcp_exclusions` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `orgs` ADD `rpm` integer;--> statement-breakpoint
ALTER TABLE `orgs` ADD `itpm` integer;--> statement-breakpoint
ALTER TABLE `orgs` ADD `otpm` integer;--> statement-breakpoint
ALTER TABLE `usage` ADD `team_id` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `excluded_models` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `merge_model_exclusions` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `excluded_mcp_servers` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `merge_mcp_exclusions` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `rpm` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `itpm` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `otpm` integer;