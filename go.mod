module chatd

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/ergochat/irc-go v0.5.0
	golang.org/x/crypto v0.58.0
	gopkg.in/irc.v4 v4.0.0
)

require (
	github.com/google/btree v1.1.3 // indirect
	golang.org/x/time v0.0.0-20220722155302-e5dcc9cfc0b9 // indirect
)
