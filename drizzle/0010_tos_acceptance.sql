CREATE TABLE `tos_acceptances` (
	`user_id` integer NOT NULL,
	`version` text NOT NULL,
	`accepted_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`user_id`, `version`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
