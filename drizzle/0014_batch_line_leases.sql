ALTER TABLE `batch_lines` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `batch_lines` ADD `lease_until` integer;--> statement-breakpoint
CREATE INDEX `batch_lines_lease_idx` ON `batch_lines` (`state`,`lease_until`);