/**
 * One overlay step that touches every kind of change a layer can hold, over
 * two lower layers (the upper one with a whiteout and an opaque dir).
 */
export const LONG_DIR = 'd'.repeat(60) + '/' + 'e'.repeat(60);
export const LONG_PATH_300 = `${'p'.repeat(100)}/${'q'.repeat(100)}/${'r'.repeat(100)}`;

export const BOTTOM_LAYER = `
  echo hello > a.txt; echo one > mod.txt; echo same > meta.txt; echo c > chown.txt
  echo t > touch.txt; echo x > xattr.txt; echo s > same-size.txt
  mkdir dir; echo k > dir/keep; echo g > dir/gone
  mkdir opq; echo x > opq/x; echo y > opq/y
  mkdir -p rmdir/sub; echo f > rmdir/sub/file
  echo l > link-src; mkdir bin; echo tool > bin/tool; chmod 755 bin/tool
  ln -s a.txt sym; echo h > hidden.txt
  mkdir odir; echo old > odir/old
  mkdir etc; echo root > etc/passwd
  mkdir sticky
`;
// The upper lower layer deletes hidden.txt (a whiteout) and makes odir opaque.
export const TOP_LAYER = `
  mknod hidden.txt c 0 0
  mkdir odir; setfattr -n trusted.overlay.opaque -v y odir; echo new > odir/new
`;

export const STEP = `
  echo new > added.txt
  echo two >> mod.txt
  chmod 600 meta.txt
  chown 1000:1001 chown.txt
  touch -d 2020-01-01T00:00:00Z touch.txt
  setfattr -n user.note -v hi xattr.txt
  echo S > same-size.txt
  rm dir/gone
  rm -rf opq && mkdir opq && echo z > opq/z
  rm -rf rmdir
  ln link-src hl2
  echo data > h1; ln h1 h2
  ln -s ../a.txt newsym; mkfifo fifo; mknod nulldev c 1 3
  mkdir -p ${LONG_DIR} && echo long > ${LONG_DIR}/file-with-a-long-name
  mkdir -p ${LONG_PATH_300} && echo deep > ${LONG_PATH_300}/f
  chmod u+s bin/tool; chmod 1777 sticky
  echo back > hidden.txt
  echo again > odir/old; echo changed > odir/new
  touch etc/hosts
`;

