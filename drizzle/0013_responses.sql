CREATE TABLE `response_items` (
	`item_id` text PRIMARY KEY NOT NULL,
	`response_id` text NOT NULL,
	`item` text NOT NULL,
	FOREIGN KEY (`response_id`) REFERENCES `responses`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `response_items_response_idx` ON `response_items` (`response_id`);--> statement-breakpoint
CREATE TABLE `responses` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_user_id` integer,
	`owner_team_id` integer,
	`key_id` integer NOT NULL,
	`mode` text NOT NULL,
	`model` text NOT NULL,
	`deployment` text NOT NULL,
	`response` text,
	`input_items` text,
	`previous_response_id` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `responses_expires_idx` ON `responses` (`expires_at`);