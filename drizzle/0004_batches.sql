CREATE TABLE `batch_lines` (
	`batch_id` text NOT NULL,
	`line_no` integer NOT NULL,
	`custom_id` text NOT NULL,
	`body` text NOT NULL,
	`state` text NOT NULL,
	`status_code` integer,
	`request_id` text,
	`result` text,
	PRIMARY KEY(`batch_id`, `line_no`),
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `batch_lines_state_idx` ON `batch_lines` (`batch_id`,`state`,`line_no`);--> statement-breakpoint
CREATE TABLE `batches` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_user_id` integer,
	`owner_team_id` integer,
	`key_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`org_id` integer NOT NULL,
	`input_file_id` text NOT NULL,
	`endpoint` text NOT NULL,
	`model` text NOT NULL,
	`completion_window` text NOT NULL,
	`status` text NOT NULL,
	`metadata` text,
	`errors` text,
	`output_file_id` text,
	`error_file_id` text,
	`total` integer DEFAULT 0 NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`in_progress_at` integer,
	`expires_at` integer NOT NULL,
	`finalizing_at` integer,
	`completed_at` integer,
	`failed_at` integer,
	`expired_at` integer,
	`cancelling_at` integer,
	`cancelled_at` integer
);
--> statement-breakpoint
CREATE INDEX `batches_user_idx` ON `batches` (`owner_user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `batches_team_idx` ON `batches` (`owner_team_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `batches_status_idx` ON `batches` (`status`);--> statement-breakpoint
ALTER TABLE `usage` ADD `batch_id` text;