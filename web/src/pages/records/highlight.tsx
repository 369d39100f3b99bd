/** Row colours the record tables share (styles.css belongs to the shell). */
export function RecordStyles() {
  return (
    <style>{`
      .record-row-highlight > td { background: #fffbe6 !important; }
      .record-row-highlight > td:first-child { box-shadow: inset 3px 0 0 #faad14; }
      .record-row-cleared > td { color: rgba(0, 0, 0, 0.55); }
    `}</style>
  );
}
