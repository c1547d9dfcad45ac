/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replays a fuzz corpus through a target as an ordinary test: every file
 * under the directories (or the files) named on the command line is fed to
 * LLVMFuzzerTestOneInput once. Under ASan/UBSan a crash fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer's own default -max_len is far below this; corpus files are small. */
#define REPLAY_INPUT_MAX (4 * 1024 * 1024)

static int replay_file(const char *path)
{
	struct buf b;
	uint8_t *copy;
	int r;

	r = fileio_read(path, REPLAY_INPUT_MAX, &b);
	if (r < 0) {
		fprintf(stderr, "replay: %s: cannot read (%d)\n", path, r);
		return -1;
	}
	/* An exact-size copy, so ASan sees any read past the input. */
	copy = malloc(b.len ? b.len : 1);
	if (copy == NULL) {
		buf_release(&b);
		return -1;
	}
	memcpy(copy, b.data, b.len);
	LLVMFuzzerTestOneInput(copy, b.len);
	free(copy);
	buf_release(&b);
	return 0;
}

static int replay_path(const char *path, size_t *count)
{
	struct dirent **entries = NULL;
	struct stat st;
	char child[4096];
	int n, i;
	int r = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: no such file or directory\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	n = scandir(path, &entries, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: cannot list\n", path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (entries[i]->d_name[0] != '.' &&
		    snprintf(child, sizeof(child), "%s/%s", path, entries[i]->d_name) <
			    (int)sizeof(child) &&
		    replay_path(child, count) < 0) {
			r = -1;
		}
		free(entries[i]);
	}
	free(entries);
	return r;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i;
	int r = 0;

	for (i = 1; i < argc; i++) {
		if (replay_path(argv[i], &count) < 0) {
			r = 1;
		}
	}
	if (count == 0) {
		fprintf(stderr, "replay: no corpus files found\n");
		return 1;
	}
	printf("replayed %zu inputs\n", count);
	return r;
}
