/**
 * Removing a step's dirs in a rootless build. An upper dir holds files owned
 * by the user's subordinate ids (uid 1000 in the container is 100999 on the
 * host) inside dirs that those ids own, and overlayfs leaves its work dir
 * mode 000: the user cannot delete them from outside. The store has the same
 * problem with its unpacked layers and solves it the same way (a refused rm
 * is done again as root of a user namespace with the build's id map), so the
 * engine uses the store's removal under the name its callers know.
 */
export { removeStoreTree as removeTree } from '../image/remove-tree.js';
