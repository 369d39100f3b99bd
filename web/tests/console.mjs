// The console in a real browser (Debian's Chromium, driven by
// playwright-core), against a running Chroma with a lustre-sim cluster
// holding file system `demo`. Run by tests/tests/console.rs, which starts
// that stack; every step waits for what a user would see and fails with
// what it was waiting for.
//
// Environment: CHROMA_URL, CHROMA_USERNAME, CHROMA_PASSWORD, CHROMIUM (the
// browser), LUSTRE_SIM (its binary, to inject a failover) and
// SIM_STATE_DIR, SIM_RAID and SIM_RAID_STATE (the simulated array's plugin
// and state, to fail a disk), SCREENSHOTS (a directory), DOCS_SCREENSHOTS
// (optional: also write the README's screenshots there).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const BASE = env('CHROMA_URL');
const SHOTS = env('SCREENSHOTS');
const DOCS = process.env.DOCS_SCREENSHOTS;
const WAIT = 60_000;

let step = 'starting';
const log = (text) => console.log(`console test: ${text}`);
function begin(name) {
  step = name;
  log(name);
}

async function api(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const response = await fetch(`/api${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, envelope: await response.json() };
    },
    { method, path, body },
  );
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  // Let antd's transitions (rows, drawers, dropdowns) settle first.
  await page.waitForTimeout(800);
  await page.screenshot({ path: file });
  if (DOCS) {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, join(DOCS, `${name}.png`));
  }
}

/** Polls `check` until it answers true. */
async function until(what, check, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Picks the option containing `text` in the antd Select `testId`. */
async function choose(page, testId, text) {
  const select = page.getByTestId(testId);
  await select.click();
  // As a user at a keyboard: type to narrow the list, Enter takes the first.
  if (await select.locator('input').isEditable().catch(() => false)) await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await select.filter({ hasText: text }).waitFor();
}

/** Waits until the widget of `type` draws at least one point. */
async function widgetDraws(page, type) {
  await page.waitForFunction(
    (t) => Number(document.querySelector(`[data-testid="widget-${t}"]`)?.getAttribute('data-points') ?? 0) > 0,
    type,
    { timeout: WAIT },
  );
}

const browser = await chromium.launch({
  executablePath: env('CHROMIUM'),
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
context.setDefaultTimeout(WAIT);
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));

try {

  begin('a wrong password is refused on the login page');
  await page.goto(`${BASE}/`);
  await page.waitForURL(/\/login$/);
  await shot(page, 'login');
  await page.getByLabel('Username').fill(env('CHROMA_USERNAME'));
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: /log in/i }).click();
  await page.getByRole('alert').filter({ hasText: /password/i }).waitFor();

  begin('logging in opens the dashboard');
  await page.getByLabel('Password').fill(env('CHROMA_PASSWORD'));
  await page.getByRole('button', { name: /log in/i }).click();
  await page.waitForURL(/\/dashboard/);
  await page.getByTestId('user-menu').filter({ hasText: env('CHROMA_USERNAME') }).waitFor();
  await page.getByTestId('live').filter({ hasText: 'live' }).waitFor();

  // Start from the default dashboard, whatever an earlier run saved.
  await api(page, 'PUT', '/preference/dashboard', { value: null });
  const filesystems = (await api(page, 'GET', '/filesystem?name=demo')).envelope.response.objects;
  assert.equal(filesystems.length, 1, 'the demo file system exists');
  const demo = filesystems[0];

  begin('the dashboard charts draw the demo cluster');
  await page.goto(`${BASE}/dashboard?fs=${demo.id}&range=5m`);
  for (const type of ['capacity', 'bandwidth', 'metadata', 'ost-balance', 'heatmap', 'servers']) {
    await widgetDraws(page, type);
  }
  // The charts move without a reload: the bandwidth chart's newest point
  // is replaced by a newer one as the monitor records rounds.
  const latest = await page.getByTestId('widget-bandwidth').getAttribute('data-latest');
  assert.ok(latest, 'the bandwidth chart says when its newest point is from');
  await page.waitForFunction(
    (t) => {
      const now = document.querySelector('[data-testid="widget-bandwidth"]')?.getAttribute('data-latest');
      return !!now && now > t;
    },
    latest,
    { timeout: WAIT },
  );
  await shot(page, 'dashboard');

  begin('a heat-map cell shows the top jobs on that OST');
  const heatmap = page.getByTestId('chart-heatmap');
  const box = await heatmap.boundingBox();
  assert.ok(box, 'the heat map is on the page');
  let opened = false;
  // The newest columns hold data: click from the right edge leftwards, on
  // each OST's row, until a cell answers.
  for (let x = box.x + box.width - 12; x > box.x + box.width / 2 && !opened; x -= 12) {
    for (let y = box.y + 20; y < box.y + box.height - 30 && !opened; y += 20) {
      await page.mouse.click(x, y);
      opened = await page
        .getByTestId('top-jobs')
        .isVisible()
        .catch(() => false);
    }
  }
  assert.ok(opened, 'clicking the heat map opened the top jobs');
  await page.getByTestId('top-jobs').getByText('dd.0').first().waitFor();
  await shot(page, 'dashboard-top-jobs');
  await page.keyboard.press('Escape');

  begin('a customised dashboard layout is kept for the user');
  const widgets = async () => page.locator('[data-testid^="widget-"]').count();
  const shown = await widgets();
  await page.getByTestId('widget-servers').getByTestId('remove-widget').click();
  assert.equal(await widgets(), shown - 1);
  await until('the layout is saved for the user', async () => {
    const saved = (await api(page, 'GET', '/preference/dashboard')).envelope.response.value;
    return Array.isArray(saved?.widgets) && saved.widgets.length > 0 && !saved.widgets.some((w) => w.type === 'servers');
  });
  await page.reload();
  await widgetDraws(page, 'bandwidth');
  assert.equal(await page.getByTestId('widget-servers').count(), 0, 'the removed widget stays removed');
  await page.getByTestId('reset-layout').click();
  await page.getByTestId('widget-servers').waitFor();

  begin('a running job is cancelled from the Jobs page');
  const submitted = await api(page, 'POST', '/command', {
    message: 'Browser test: a long job',
    jobs: [
      {
        key: 'long',
        description: 'Sleep ten minutes',
        steps: [{ action: 'sleep', args: { ms: 600000 } }],
        locks: [],
        wait_for: [],
      },
    ],
  });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.envelope));
  const longCommand = submitted.envelope.response.id;
  await page.goto(`${BASE}/jobs`);
  await page.locator(`[data-testid="command-row"][data-command-id="${longCommand}"]`).waitFor();
  await shot(page, 'jobs');
  await page.goto(`${BASE}/jobs/${longCommand}`);
  await page.locator('[data-testid="job"][data-state="running"]').waitFor();
  await page.getByTestId('cancel-job').click();
  await page.getByTestId('confirm').click();
  await page.locator('[data-testid="job"][data-state="cancelled"]').waitFor();
  await page.locator('[data-testid="command-detail"][data-state="cancelled"]').waitFor();

  begin('a bad parameter value is refused with the reason at the field');
  const storedTimeout = async () => {
    const params = (await api(page, 'GET', `/filesystem/${demo.id}/params`)).envelope.response;
    return params.find((p) => p.key === 'sys.timeout')?.stored ?? null;
  };
  const timeoutBefore = await storedTimeout();
  await page.goto(`${BASE}/parameters?fs=${demo.id}`);
  await page.getByTestId('param-key').waitFor();
  await page.getByTestId('param-key').fill('sys.timeout');
  await page.keyboard.press('Escape');
  await page.getByTestId('param-value').fill('soon');
  await page.getByTestId('param-save').click();
  await page.locator('.ant-form-item-explain-error').filter({ hasText: /sys\.timeout must be an integer/ }).waitFor();
  assert.equal(await storedTimeout(), timeoutBefore, 'the refused value changed nothing');
  await shot(page, 'parameters');

  begin('a failover alert appears without a reload');
  await page.goto(`${BASE}/alerts?active=true`);
  await page.getByTestId('alerts-active').waitFor();
  execFileSync(env('LUSTRE_SIM'), ['--state-dir', env('SIM_STATE_DIR'), 'fault', 'oss1', 'failover', 'demo-OST0000']);
  await page.locator('[data-testid="alert-row"][data-kind="target_failed_over"]').waitFor();
  await page.locator('.ant-notification-notice').filter({ hasText: /demo-OST0000/ }).first().waitFor();
  await shot(page, 'alerts');

  begin('failing back from the alert clears it');
  const failedOver = page.locator('[data-testid="alert-row"][data-kind="target_failed_over"]');
  await failedOver.locator('a').filter({ hasText: /demo-OST0000/ }).first().click();
  await page.getByTestId('alert-details').waitFor();
  await shot(page, 'alert-details');
  await page.getByTestId('failback').click();
  await page.getByTestId('plan').waitFor();
  await page.getByTestId('confirm').click();
  await page.keyboard.press('Escape');
  await failedOver.waitFor({ state: 'detached', timeout: 120_000 });


  begin('a second file system is created from the form and its command finishes live');
  const free = (await api(page, 'GET', '/volume?free=true')).envelope.response.objects;
  assert.ok(free.length >= 2, `two free volumes are left: ${JSON.stringify(free)}`);
  await page.goto(`${BASE}/configure/filesystems`);
  await page.getByTestId('fs-row-demo').waitFor();
  await shot(page, 'configure-filesystems');
  await page.getByTestId('create-filesystem').click();
  await page.getByTestId('fs-name').fill('second');
  // The demo's MGS serves the new file system too (its other volumes are
  // taken), as a site with one MGS for many file systems does.
  await page.getByTestId('fs-mgt-mode').getByText('Existing MGS').click();
  await choose(page, 'fs-mgs', 'MGS');
  await choose(page, 'fs-mdts', free[0].serial);
  await choose(page, 'fs-osts', free[1].serial);
  await page.getByTestId('fs-preview').click();
  await page.getByText(/Format/).first().waitFor();
  await shot(page, 'configure-create-filesystem');
  await page.getByTestId('fs-submit').click();
  await page.locator('[data-testid="command-progress"][data-state="running"], [data-testid="command-progress"][data-state="succeeded"]').first().waitFor();
  await page.locator('[data-testid="command-progress"][data-state="succeeded"]').waitFor({ timeout: 180_000 });
  await page.keyboard.press('Escape');
  await page.getByTestId('fs-row-second').waitFor();
  const second = (await api(page, 'GET', '/filesystem?name=second')).envelope.response.objects[0];
  assert.equal(second?.state, 'available', `the new file system is available: ${JSON.stringify(second)}`);

  begin('an OST is added to the running demo file system from its Targets tab');
  const freeNow = (await api(page, 'GET', '/volume?free=true&limit=1000')).envelope.response.objects;
  const spare = freeNow.find((v) => v.nodes.length === 1 && v.nodes[0].host === 'oss3');
  assert.ok(spare, `oss3 has a free volume: ${JSON.stringify(freeNow)}`);
  await page.goto(`${BASE}/configure/filesystems/${demo.id}`);
  await page.getByTestId('target-row-demo-OST0000').waitFor();
  await page.getByTestId('add-target').click();
  await choose(page, 'add-target-volume', spare.serial);
  // Its only server is primary, with nothing to fail over to.
  await page.getByTestId('add-target-primary').filter({ hasText: 'oss3' }).waitFor();
  await page.getByTestId('add-target-preview').click();
  await page.getByTestId('preview').getByTestId('plan').filter({ hasText: /demo-OST0004/ }).waitFor();
  await shot(page, 'configure-add-target');
  await page.getByTestId('add-target-submit').click();
  await page.getByTestId('added-target').filter({ hasText: 'demo-OST0004' }).waitFor();
  await page.locator('.ant-modal [data-testid="command-progress"][data-state="succeeded"]').waitFor({ timeout: 180_000 });
  await page.keyboard.press('Escape');
  await page.getByTestId('target-row-demo-OST0004').locator('[data-state="mounted"]').waitFor();
  const fsAfterAdd = (await api(page, 'GET', `/filesystem/${demo.id}`)).envelope.response;
  assert.equal(fsAfterAdd.state, 'available', `demo stayed available: ${fsAfterAdd.state}`);

  begin('the new OST is drained, then removed after saying its files lose their objects');
  await page.getByTestId('target-drain-demo-OST0004').click();
  await page.getByTestId('plan').filter({ hasText: /max_create_count/ }).waitFor();
  await page.getByTestId('confirm').click();
  await page.getByTestId('target-drained-demo-OST0004').waitFor();
  await page.getByTestId('target-removed-demo-OST0004').click();
  await page.getByTestId('remove-warning').filter({ hasText: /lose/ }).first().waitFor();
  assert.ok(await page.getByTestId('confirm').isDisabled(), 'removing waits for the user to say they understand');
  await shot(page, 'configure-remove-ost');
  await page.getByTestId('remove-understood').click();
  await page.getByTestId('confirm').click();
  await until('demo-OST0004 is removed', async () => {
    const row = page.getByTestId('target-row-demo-OST0004');
    return (await row.count()) === 0 || (await row.locator('[data-state="removed"]').count()) > 0;
  }, 180_000);
  const ost4 = (await api(page, 'GET', `/target?filesystem_id=${demo.id}&kind=ost&limit=1000`)).envelope.response.objects.find(
    (t) => t.name === 'demo-OST0004',
  );
  assert.ok(!ost4 || ost4.state === 'removed', `demo-OST0004 is gone: ${JSON.stringify(ost4)}`);

  begin('a pool of two OSTs is created from the Pools tab and shown with its space');
  await page.getByTestId('tab-pools').click();
  await page.waitForURL(/tab=pools/);
  await page.getByTestId('create-pool').click();
  await page.getByTestId('pool-name').fill('fast');
  await choose(page, 'pool-osts', 'demo-OST0000');
  await choose(page, 'pool-osts', 'demo-OST0001');
  await page.getByTestId('pool-preview').click();
  await page.getByTestId('preview').getByTestId('plan').filter({ hasText: /fast/ }).waitFor();
  await page.getByTestId('pool-submit').click();
  await page.locator('.ant-modal [data-testid="command-progress"][data-state="succeeded"]').waitFor({ timeout: 120_000 });
  await page.keyboard.press('Escape');
  const poolOsts = page.getByTestId('pool-osts-fast');
  await poolOsts.filter({ hasText: 'demo-OST0000' }).filter({ hasText: 'demo-OST0001' }).waitFor();
  await until('the pool shows its space', async () => Number((await page.getByTestId('pool-space-fast').getAttribute('data-total')) ?? 0) > 0);
  await shot(page, 'configure-pools');

  begin('the pool\'s OSTs are changed, then it is destroyed');
  await page.getByTestId('pool-change-fast').click();
  await choose(page, 'pool-change-osts', 'demo-OST0002');
  await page.getByTestId('pool-change-preview').click();
  await page.getByTestId('preview').getByTestId('plan').waitFor();
  await page.getByTestId('pool-change-submit').click();
  await page.locator('.ant-modal [data-testid="command-progress"][data-state="succeeded"]').waitFor({ timeout: 120_000 });
  await page.keyboard.press('Escape');
  await poolOsts.filter({ hasText: 'demo-OST0002' }).waitFor();
  await page.getByTestId('pool-destroy-fast').click();
  await page.getByTestId('plan').waitFor();
  await page.getByTestId('confirm').click();
  await page.getByTestId('pool-row-fast').waitFor({ state: 'detached', timeout: 120_000 });

  begin('demo is mounted as a client on a chosen host from the Client mounts tab, unmounted and mounted again');
  await page.getByTestId('tab-clients').click();
  await page.waitForURL(/tab=clients/);
  await page.getByTestId('add-client-mount').click();
  await choose(page, 'client-mount-host', 'oss3');
  await page.getByTestId('client-mount-preview').click();
  await page.getByTestId('preview').getByTestId('plan').waitFor();
  await page.getByTestId('client-mount-submit').click();
  await page.locator('.ant-modal [data-testid="command-progress"][data-state="succeeded"]').waitFor({ timeout: 120_000 });
  await page.keyboard.press('Escape');
  await page.locator('[data-testid="client-row-oss3"][data-state="mounted"]').waitFor();
  await page.getByTestId('client-row-oss3').filter({ hasText: '/mnt/demo' }).waitFor();
  await shot(page, 'configure-client-mounts');
  await page.getByTestId('client-unmount-oss3').click();
  await page.getByTestId('plan').waitFor();
  await page.getByTestId('confirm').click();
  await page.locator('[data-testid="client-row-oss3"][data-state="unmounted"]').waitFor({ timeout: 120_000 });
  await page.getByTestId('client-remount-oss3').click();
  await page.getByTestId('plan').waitFor();
  await page.getByTestId('confirm').click();
  await page.locator('[data-testid="client-row-oss3"][data-state="mounted"]').waitFor({ timeout: 120_000 });

  // tests/tests/console.rs mounted demo on mds1 too and wrote /u/f (12 MiB,
  // uid 1000) and /d/f there.
  begin('user quotas are enforced and a limit the user is over is shown from the Quotas tab');
  await page.getByTestId('tab-quotas').click();
  await page.waitForURL(/tab=quotas/);
  await page.getByTestId('quota-enforcement').click();
  await page.getByTestId('quota-enforce-ost').getByText('User').click();
  await page.getByTestId('quota-enforce-mdt').getByText('User').click();
  await page.getByTestId('quota-enforce-preview').click();
  await page.getByTestId('preview').getByTestId('plan').waitFor();
  await page.getByTestId('quota-enforce-submit').click();
  await page.locator('.ant-modal [data-testid="command-progress"][data-state="succeeded"]').waitFor({ timeout: 120_000 });
  await page.keyboard.press('Escape');
  // What the targets enforce now is shown, and ticked when the dialog opens again.
  await page.locator('[data-testid="quota-enforced"][data-ost="u"][data-mdt="u"]').waitFor({ timeout: 30_000 });
  await page.getByTestId('quota-enforcement').click();
  assert.ok(
    await page.getByTestId('quota-enforce-ost').getByRole('checkbox', { name: 'User' }).isChecked(),
    'the enforced user block quotas are ticked',
  );
  await page.keyboard.press('Escape');
  await page.getByTestId('set-quota').click();
  await page.getByTestId('quota-id').fill('1000');
  await page.getByTestId('quota-block-soft').fill('0.01');
  await page.getByTestId('quota-block-hard').fill('1');
  await page.getByTestId('quota-preview').click();
  await page.getByTestId('preview').getByTestId('plan').waitFor();
  await page.getByTestId('quota-submit').click();
  await page.locator('.ant-modal [data-testid="command-progress"][data-state="succeeded"]').waitFor({ timeout: 120_000 });
  await page.keyboard.press('Escape');
  await page.getByTestId('quota-row-user-1000').waitFor();
  // 12 MiB used against a soft limit of about 10 MiB, once the monitor reads it.
  await page.locator('[data-testid="quota-over-user-1000"][data-over="soft"]').waitFor({ timeout: 120_000 });
  await shot(page, 'configure-quotas');

  begin('HSM is enabled, a copytool runs and a file is archived, released and restored from the HSM tab');
  await page.getByTestId('tab-hsm').click();
  await page.waitForURL(/tab=hsm/);
  await page.getByTestId('hsm-enable').click();
  await page.getByTestId('plan').waitFor();
  await page.getByTestId('confirm').click();
  await page.locator('[data-testid="hsm-control"][data-state="enabled"]').waitFor({ timeout: 120_000 });
  await page.getByTestId('add-copytool').click();
  await choose(page, 'copytool-mount', 'oss3');
  await page.getByTestId('copytool-archive-path').fill('/srv/archive');
  await page.getByTestId('copytool-preview').click();
  await page.getByTestId('preview').getByTestId('plan').waitFor();
  await page.getByTestId('copytool-submit').click();
  await page.locator('.ant-modal [data-testid="command-progress"][data-state="succeeded"]').waitFor({ timeout: 120_000 });
  await page.keyboard.press('Escape');
  await page.locator('[data-testid="copytool-state-1"][data-state="started"]').waitFor({ timeout: 120_000 });
  await page.getByTestId('hsm-path').fill('/d/f');
  const hsmRequest = async (action, state) => {
    await page.getByTestId('hsm-action').getByText(action, { exact: true }).click();
    await page.getByTestId('hsm-request').click();
    await page.getByTestId('preview').getByTestId('plan').waitFor();
    await page.getByTestId('hsm-request-submit').click();
    await page.locator('.ant-modal [data-testid="command-progress"][data-state="succeeded"]').waitFor({ timeout: 120_000 });
    await page.keyboard.press('Escape');
    await until(`/d/f shows ${state}`, async () => state((await page.getByTestId('hsm-file-state').getAttribute('data-states')) ?? ''));
  };
  await hsmRequest('Archive', (s) => s.split(' ').includes('archived') && !s.split(' ').includes('released'));
  await hsmRequest('Release', (s) => s.split(' ').includes('released'));
  await shot(page, 'configure-hsm');
  await hsmRequest('Restore', (s) => s.split(' ').includes('archived') && !s.split(' ').includes('released'));
  await page.getByTestId('hsm-actions').filter({ hasText: 'ARCHIVE' }).waitFor();

  begin('the copytool is stopped and removed, then the client mount it used');
  await page.getByTestId('copytool-stop-1').click();
  await page.getByTestId('plan').waitFor();
  await page.getByTestId('confirm').click();
  await page.locator('[data-testid="copytool-state-1"][data-state="stopped"]').waitFor({ timeout: 120_000 });
  await page.getByTestId('copytool-remove-1').click();
  await page.getByTestId('plan').waitFor();
  await page.getByTestId('confirm').click();
  await page.getByTestId('copytool-row-1').waitFor({ state: 'detached', timeout: 120_000 });
  await page.getByTestId('tab-clients').click();
  await page.getByTestId('client-remove-oss3').click();
  await page.getByTestId('plan').waitFor();
  await page.getByTestId('confirm').click();
  await page.getByTestId('client-row-oss3').waitFor({ state: 'detached', timeout: 120_000 });

  begin('the configuration pages show targets, servers and volumes');
  await page.goto(`${BASE}/configure/filesystems/${demo.id}`);
  await page.getByTestId('target-row-demo-OST0000').waitFor();
  await shot(page, 'configure-filesystem-detail');
  await page.goto(`${BASE}/configure/servers`);
  await page.locator('[data-testid^="host-row-"]').first().waitFor();
  // Every simulated server has Lustre: its pre-flight checks passed.
  await page.locator('[data-testid^="host-preflight-"][data-serves-lustre="true"]').filter({ hasText: 'passed' }).first().waitFor();
  await shot(page, 'configure-servers');

  begin('a server\'s LNet networks are changed through a dry run that names what is wrong');
  const [oss] = (await api(page, 'GET', '/host?order_by=nodename')).envelope.response.objects.filter((h) => h.nodename === 'oss1');
  assert.ok(oss, 'oss1 is a server');
  const ossId = `${oss.address}:${oss.port}`;
  await page.getByTestId(`host-networks-${ossId}`).click();
  await page.getByTestId(`host-networks-input-${ossId}`).fill('eth0=ib0');
  await page.getByTestId(`host-networks-apply-${ossId}`).click();
  await page.getByText('"eth0" is not an LNet network').waitFor();
  await page.keyboard.press('Escape');
  const input = page.getByTestId(`host-networks-input-${ossId}`);
  if (!(await input.isVisible())) await page.getByTestId(`host-networks-${ossId}`).click();
  await input.fill('tcp=eth0 o2ib=ib0');
  await page.getByTestId(`host-networks-apply-${ossId}`).click();
  // Its targets are mounted: the API refuses, saying which, and nothing changes.
  await page.getByText(/mounted on oss1; stop them or fail them over/).waitFor();
  await page.keyboard.press('Escape');
  const after = (await api(page, 'GET', `/host/${oss.id}`)).envelope.response;
  assert.equal(after.lnet_networks, null, `nothing changed: ${JSON.stringify(after)}`);

  begin('a target table shows each target kept by Pacemaker or mounted directly');
  const ost0 = demo.targets.find((t) => t.name === 'demo-OST0000');
  const mgt = demo.targets.find((t) => t.id === demo.mgs_id);
  assert.ok(ost0?.ha_resource, `demo-OST0000 is a Pacemaker resource: ${JSON.stringify(ost0)}`);
  await page.goto(`${BASE}/configure/filesystems/${demo.id}`);
  await page.getByTestId('target-ha-demo-OST0000').filter({ hasText: 'Pacemaker' }).waitFor();
  await page.getByTestId('target-ha-resource-demo-OST0000').filter({ hasText: ost0.ha_resource }).waitFor();
  await page.getByTestId(`target-ha-${mgt.name}`).filter({ hasText: 'direct' }).waitFor();

  begin('the HA clusters page shows demo-ha, its two members and its fencing');
  await page.goto(`${BASE}/configure/ha-clusters`);
  const haRow = page.getByTestId('ha-cluster-row-demo-ha');
  await haRow.getByTestId('ha-fencing-demo-ha').filter({ hasText: 'enabled, 2 devices' }).waitFor();
  const haMembers = await haRow.getByTestId('ha-member-demo-ha').allTextContents();
  assert.equal(haMembers.length, 2, `demo-ha has two members: ${haMembers}`);
  for (const name of ['oss1', 'oss2']) assert.ok(haMembers.some((m) => m.includes(name)), `${name} is a member: ${haMembers}`);
  await shot(page, 'configure-ha-clusters');

  begin('adding a server shows its host key to compare before anything is stored');
  await page.goto(`${BASE}/configure/servers`);
  const [known] = (await api(page, 'GET', '/host?order_by=nodename&limit=1')).envelope.response.objects;
  const hostsBefore = (await api(page, 'GET', '/host')).envelope.response.meta.total_count;
  await page.getByTestId('add-server').click();
  await page.getByTestId('host-address').fill(known.address);
  await page.getByTestId('host-port').fill(String(known.port));
  await page.getByTestId('host-scan').click();
  await page.getByTestId('host-fingerprint').filter({ hasText: known.fingerprint }).waitFor();
  assert.ok(await page.getByTestId('host-add').isDisabled(), 'adding waits for the user to confirm the key');
  await shot(page, 'configure-add-server');
  await page.keyboard.press('Escape');
  const hostsAfter = (await api(page, 'GET', '/host')).envelope.response.meta.total_count;
  assert.equal(hostsAfter, hostsBefore, 'reading a key stored nothing');
  await page.goto(`${BASE}/configure/volumes`);
  await page.locator('[data-testid^="volume-row-"]').first().waitFor();
  await shot(page, 'configure-volumes');

  begin('a target is followed down to its disks on the Storage page');
  await page.goto(`${BASE}/configure/filesystems/${demo.id}`);
  await page.getByTestId('target-storage-demo-OST0000').click();
  await page.waitForURL(/\/storage\?target=/);
  // The OST's LUN, the Linux devices that are it, its pool, six disks and
  // their enclosure, the array.
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="storage-path"]')?.getAttribute('data-nodes') ?? 0) >= 10,
    undefined,
    { timeout: 90_000 },
  );
  await shot(page, 'storage-path');
  const search = page.locator('input[data-testid="storage-search"], [data-testid="storage-search"] input').first();
  await search.fill('SIMHDD00007');
  await search.press('Enter');
  await page.locator('[data-testid="storage-node"][data-class="disk"]').first().click();
  await page.getByTestId('storage-detail').filter({ hasText: /SIMHDD/ }).waitFor();
  await shot(page, 'storage');

  begin('a failed disk raises an alert naming the file system it endangers');
  const raid = (change) =>
    execFileSync(env('SIM_RAID'), ['--state', env('SIM_RAID_STATE'), 'fault', 'disk', '7', change]);
  await page.goto(`${BASE}/alerts?active=true`);
  await page.getByTestId('alerts-active').waitFor();
  raid('fail');
  const diskAlert = page.locator('[data-testid="alert-row"][data-kind="storage_disk_failed"]');
  await diskAlert.filter({ hasText: /file system demo/ }).waitFor();
  await shot(page, 'storage-alert');
  raid('ok');
  await diskAlert.waitFor({ state: 'detached' });

  begin('alert notifications: a webhook subscription gets a signed test message, an email one without SMTP says why it failed');
  // A receiver as a site would run one: it records each POST.
  const received = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const hook = `http://127.0.0.1:${receiver.address().port}/chroma`;
    const secret = 'console-test-webhook-secret';
    await page.getByTestId('user-menu').hover();
    await page.getByRole('menuitem', { name: 'Notifications' }).click();
    await page.waitForURL(/\/account\/notifications/);
    const form = page.getByTestId('subscription-form');
    await form.locator('.ant-select').first().click();
    await page.locator('.ant-select-item-option[title="Webhook"]').click();
    await form.getByPlaceholder('https://hooks.example.com/chroma').fill(hook);
    await form.getByPlaceholder('signing secret').fill('short');
    await page.getByTestId('subscribe').click();
    await form.getByText('16 characters or more').waitFor();
    await form.getByPlaceholder('signing secret').fill(secret);
    await page.getByTestId('subscribe').click();
    const hookRow = page.locator('tr').filter({ hasText: hook });
    await hookRow.waitFor();
    await hookRow.getByRole('button', { name: 'Send test message' }).click();
    await page.getByText(`Test message sent to ${hook}`).waitFor();
    await until('the webhook receiver to get the test message', async () => received.length > 0);
    const [{ headers, body }] = received;
    const expected = `sha256=${createHmac('sha256', secret).update(`${headers['x-chroma-timestamp']}.${body}`).digest('hex')}`;
    const signature = String(headers['x-chroma-signature'] ?? '');
    assert.ok(
      signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected)),
      `the webhook's signature ${signature} does not verify with its secret`,
    );
    assert.equal(JSON.parse(body).test, true, `the webhook body: ${body}`);

    // This stack has no SMTP server: the email test must fail saying so.
    await form.locator('.ant-select').first().click();
    await page.locator('.ant-select-item-option[title="Email"]').click();
    await page.getByTestId('subscription-email').fill('ops@example.com');
    await page.getByTestId('subscribe').click();
    const mailRow = page.locator('tr').filter({ hasText: 'ops@example.com' });
    await mailRow.waitFor();
    await mailRow.getByRole('button', { name: 'Send test message' }).click();
    await page.getByText(/The test message failed: .*CHROMA_SMTP_HOST/).waitFor();
    const deliveries = page.getByTestId('deliveries');
    await deliveries.locator('tr').filter({ hasText: 'webhook' }).filter({ hasText: 'sent' }).waitFor();
    await deliveries.locator('tr').filter({ hasText: 'email' }).filter({ hasText: 'CHROMA_SMTP_HOST' }).waitFor();
    await shot(page, 'notifications');
  } finally {
    receiver.close();
  }
  begin('the events and logs pages show the cluster');
  await page.goto(`${BASE}/events`);
  await page.getByTestId('event-row').first().waitFor();
  await shot(page, 'events');
  await page.goto(`${BASE}/logs`);
  await page.getByTestId('log-row').first().waitFor();
  await shot(page, 'logs');
  begin('a read-only user sees the cluster but no control that changes it');
  const viewer = { username: 'viewer', password: 'viewer-password-1', role: 'readonly' };
  const created = await api(page, 'POST', '/user', viewer);
  assert.ok([201, 409].includes(created.status), JSON.stringify(created.envelope));
  const readonly = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const view = await readonly.newPage();
  view.on('pageerror', (e) => pageErrors.push(e.message));
  await view.goto(`${BASE}/login`);
  await view.getByLabel('Username').fill(viewer.username);
  await view.getByLabel('Password').fill(viewer.password);
  await view.getByRole('button', { name: /log in/i }).click();
  await view.waitForURL(/\/dashboard/);
  await widgetDraws(view, 'bandwidth');
  await view.goto(`${BASE}/configure/filesystems`);
  await view.getByTestId('fs-row-demo').waitFor();
  assert.equal(await view.getByTestId('create-filesystem').count(), 0, 'no create button');
  await view.goto(`${BASE}/configure/filesystems/${demo.id}`);
  await view.getByTestId('target-row-demo-OST0000').waitFor();
  assert.equal(await view.getByRole('button', { name: /unmount|fail over|remove|stop/i }).count(), 0, 'no target actions');
  assert.equal(await view.getByTestId('add-target').count(), 0, 'no add target button');
  await view.goto(`${BASE}/configure/filesystems/${demo.id}?tab=pools`);
  await view.getByTestId('pools').waitFor();
  assert.equal(await view.getByTestId('create-pool').count(), 0, 'no create pool button');
  await view.goto(`${BASE}/configure/filesystems/${demo.id}?tab=clients`);
  await view.getByTestId('client-mounts').waitFor();
  assert.equal(await view.getByTestId('add-client-mount').count(), 0, 'no client mount button');
  await view.goto(`${BASE}/configure/filesystems/${demo.id}?tab=quotas`);
  await view.getByTestId('quotas').waitFor();
  assert.equal(await view.getByTestId('set-quota').count(), 0, 'no set quota button');
  await view.goto(`${BASE}/configure/filesystems/${demo.id}?tab=hsm`);
  await view.getByTestId('hsm-control').waitFor();
  assert.equal(await view.getByRole('button', { name: /enable|disable|add copytool|archive|stop|start|remove/i }).count(), 0, 'no HSM actions');
  await view.goto(`${BASE}/configure/ha-clusters`);
  await view.getByTestId('ha-cluster-row-demo-ha').waitFor();
  assert.equal(await view.getByRole('button', { name: /set up|run setup|fencing/i }).count(), 0, 'no HA cluster actions');
  await view.goto(`${BASE}/parameters?fs=${demo.id}`);
  await view.getByTestId('params-fs').waitFor();
  assert.equal(await view.getByTestId('param-save').count(), 0, 'no parameter form');
  await view.goto(`${BASE}/alerts?active=false`);
  await view.getByTestId('alert-row').first().waitFor();
  assert.equal(await view.getByTestId('acknowledge').count(), 0, 'no acknowledge buttons');
  await readonly.close();

  assert.deepEqual(pageErrors, [], 'the page threw errors');
  log('all steps passed');
} catch (error) {
  console.error(`console test: FAILED at "${step}": ${error.stack ?? error}`);
  if (pageErrors.length) console.error(`page errors: ${pageErrors.join('\n')}`);
  await shot(page, `failure-${step.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
