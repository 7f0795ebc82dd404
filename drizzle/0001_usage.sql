CREATE TABLE `usage` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer NOT NULL,
	`request_id` text NOT NULL,
	`key_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`org_id` integer NOT NULL,
	`model` text NOT NULL,
	`deployment` text,
	`endpoint` text NOT NULL,
	`status` integer NOT NULL,
	`latency_ms` integer NOT NULL,
	`ttft_ms` integer,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`end_user_id` text DEFAULT '' NOT NULL,
	`stream` integer DEFAULT false NOT NULL,
	`error_code` text
);
--> statement-breakpoint
CREATE INDEX `usage_created_idx` ON `usage` (`created_at`);--> statement-breakpoint
CREATE INDEX `usage_key_created_idx` ON `usage` (`key_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `usage_model_created_idx` ON `usage` (`model`,`created_at`);