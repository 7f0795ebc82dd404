CREATE TABLE `files` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_user_id` integer,
	`owner_team_id` integer,
	`key_id` integer NOT NULL,
	`filename` text NOT NULL,
	`purpose` text NOT NULL,
	`bytes` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`line_count` integer,
	`batch_endpoint` text,
	`batch_model` text
);
--> statement-breakpoint
CREATE INDEX `files_user_idx` ON `files` (`owner_user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `files_team_idx` ON `files` (`owner_team_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `files_expires_idx` ON `files` (`expires_at`);