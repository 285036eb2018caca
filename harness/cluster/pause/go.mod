module firedrill.local/pause

go 1.24.0
