CREATE TABLE `access_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`ref` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `orgs` ADD `pool_rpm` integer;--> statement-breakpoint
ALTER TABLE `orgs` ADD `pool_itpm` integer;--> statement-breakpoint
ALTER TABLE `orgs` ADD `pool_otpm` integer;--> statement-breakpoint
ALTER TABLE `teams` ADD `pool_rpm` integer;--> statement-breakpoint
ALTER TABLE `teams` ADD `pool_itpm` integer;--> statement-breakpoint
ALTER TABLE `teams` ADD `pool_otpm` integer;