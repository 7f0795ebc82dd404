DROP INDEX `usage_key_created_idx`;--> statement-breakpoint
DROP INDEX `usage_model_created_idx`;