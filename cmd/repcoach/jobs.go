package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

func runJob(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	return errors.New("job: not wired yet")
}

func runPreview(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	return errors.New("preview: not wired yet")
}
