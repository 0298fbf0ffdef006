package local

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// localWriteEtc writes the sandbox's own passwd and group: root, nobody and
// the user the sandbox runs as, with the sandbox's HOME, so that `id`,
// `whoami` and tools that look the user up work, and the host's account
// list stays out.
func localWriteEtc(dir, home string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	uid, gid := os.Getuid(), os.Getgid()
	name := "user"
	if u, err := user.Current(); err == nil && u.Username != "" && localSafeName(u.Username) {
		name = u.Username
	}
	passwd := "root:x:0:0:root:/root:/bin/bash\n"
	group := "root:x:0:\n"
	if uid == 0 {
		passwd = "root:x:0:0:root:" + home + ":/bin/bash\n"
	} else {
		passwd += fmt.Sprintf("%s:x:%d:%d:%s:%s:/bin/bash\n", name, uid, gid, name, home)
	}
	if gid != 0 {
		group += name + ":x:" + strconv.Itoa(gid) + ":\n"
	}
	passwd += "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	group += "nogroup:x:65534:\n"
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "group"), []byte(group), 0o644)
}

// localSafeName keeps a user name that cannot break a passwd line.
func localSafeName(s string) bool {
	for _, r := range s {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
