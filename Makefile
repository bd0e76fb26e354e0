# Shortcuts for the scripts in scripts/; pass pytest arguments with ARGS="-k harness".
.PHONY: test demo lint

test:
	scripts/test $(ARGS)

demo:
	scripts/demo

lint:
	scripts/lint
