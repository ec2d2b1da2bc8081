/// The dashboard's one page: HTML, CSS and hand-written JavaScript inline (charts drawn as
/// inline SVG), so that it works on a machine with no internet. Routes are in the URL's hash
/// (`#/`, `#/workers`, `#/tasks?state=FAILURE`, `#/task/ID`, `#/dead-letters`); every value
/// is put in the page as text, never as HTML.
enum DashboardPage {
  /// The page.
  static let html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Celeriac dashboard</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>
    body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f4;color:#1d2a1d}
    header{background:#2f4f2f;color:#fff;padding:8px 16px;display:flex;gap:18px;align-items:center}
    header a{color:#dfe9d5;text-decoration:none}header a.on{color:#fff;font-weight:600}
    header b{font-size:16px;margin-right:12px}main{padding:16px}
    .cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:#fff;border:1px solid #d9ded5;border-radius:6px;padding:10px 12px;min-width:150px}
    .card .n{font-size:22px;font-weight:600}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px;margin-top:12px}
    .chart{background:#fff;border:1px solid #d9ded5;border-radius:6px;padding:8px}.chart h3{margin:0 0 4px;font-size:13px}
    table{border-collapse:collapse;background:#fff;width:100%;margin-top:8px}th,td{border-bottom:1px solid #e3e7df;padding:4px 8px;text-align:left;vertical-align:top}
    th{background:#eef1ea;font-weight:600}td.mono,pre{font-family:ui-monospace,monospace;font-size:12px}
    #task-fields{width:auto;min-width:560px}h3{margin:10px 0 4px}h2{margin:4px 0 10px}
    pre{margin:0;background:#fff;border:1px solid #d9ded5;padding:8px;white-space:pre-wrap;word-break:break-all;max-height:420px;overflow:auto}
    .SUCCESS{color:#1f7a1f}.FAILURE{color:#b3261e;font-weight:600}.REVOKED{color:#8a5a00}.STARTED,.PROGRESS{color:#1d4f91}.RETRY{color:#8a5a00}
    form.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:end}label{display:flex;flex-direction:column;font-size:12px}
    button{cursor:pointer;padding:4px 10px}button.danger{background:#b3261e;color:#fff;border:0;border-radius:4px}
    .legend span{margin-right:10px;font-size:12px}.err{color:#b3261e}.muted{color:#6b776b}
    </style></head><body>
    <header><b>Celeriac</b><a href="#/" data-nav="overview">Overview</a><a href="#/workers" data-nav="workers">Workers</a>
    <a href="#/tasks" data-nav="tasks">Tasks</a><a href="#/queued" data-nav="queued">Queued</a><a href="#/dead-letters" data-nav="dead-letters">Dead letters</a>
    <span id="status" class="muted"></span></header>
    <main id="main"></main>
    <script>
    "use strict";
    const H={"X-Celeriac-Dashboard":"1"};
    const COLORS=["#2e7d32","#1565c0","#c62828","#ef6c00","#6a1b9a","#00838f","#795548","#37474f"];
    let timer=null,taskReady=false;
    function el(tag,attrs,...kids){const e=document.createElement(tag);for(const k in attrs||{}){if(k==="text")e.textContent=attrs[k];else if(k.startsWith("on"))e.addEventListener(k.slice(2),attrs[k]);else e.setAttribute(k,attrs[k]);}
      for(const c of kids){if(c==null)continue;e.append(typeof c==="string"||typeof c==="number"?document.createTextNode(String(c)):c);}return e;}
    async function api(path,opts){const r=await fetch(path,Object.assign({headers:H,credentials:"same-origin"},opts||{}));const body=await r.json().catch(()=>({}));
      if(!r.ok)throw new Error(body.error||("HTTP "+r.status));return body;}
    function when(t){if(t==null)return "";const d=new Date(t*1000);return d.toISOString().replace("T"," ").slice(0,23);}
    function status(text,bad){const s=document.getElementById("status");s.textContent=text;s.className=bad?"err":"muted";}
    const SVGNS="http://www.w3.org/2000/svg";
    function svg(tag,attrs){const e=document.createElementNS(SVGNS,tag);for(const k in attrs)e.setAttribute(k,attrs[k]);return e;}
    function nice(max){if(max<=4)return 4;const p=Math.pow(10,Math.floor(Math.log10(max))),m=max/p;return (m<=1?1:m<=2?2:m<=5?5:10)*p;}
    function chart(title,id,series,range){
      const W=440,Hh=150,L=40,B=18,box=el("div",{class:"chart",id:id});box.append(el("h3",{text:title}));
      const s=svg("svg",{width:"100%",viewBox:"0 0 "+W+" "+Hh,role:"img"});let max=0;
      for(const se of series)for(const p of se.points)if(p[0]>=range[0])max=Math.max(max,p[1]);max=nice(max);
      const x0=range[0],x1=range[1];
      const X=t=>L+(W-L-6)*(Math.max(t,x0)-x0)/(x1-x0),Y=v=>Hh-B-(Hh-B-8)*v/max;
      for(let i=0;i<=4;i++){const v=max*i/4,y=Y(v);s.append(svg("line",{x1:L,x2:W-6,y1:y,y2:y,stroke:"#e3e7df"}));
        const t=svg("text",{x:L-4,y:y+4,"text-anchor":"end","font-size":"10",fill:"#6b776b"});t.textContent=Number.isInteger(v)?String(v):v.toFixed(1);s.append(t);}
      const tl=svg("text",{x:L,y:Hh-4,"font-size":"10",fill:"#6b776b"});tl.textContent=when(x0).slice(11,19);s.append(tl);
      const tr=svg("text",{x:W-6,y:Hh-4,"font-size":"10",fill:"#6b776b","text-anchor":"end"});tr.textContent=when(x1).slice(11,19);s.append(tr);
      const legend=el("div",{class:"legend"});
      series.forEach((se,i)=>{const c=se.color||COLORS[i%COLORS.length];const pts=se.points.filter(p=>p[0]>=x0);if(pts.length){
        const d=pts.map((p,j)=>(j?"L":"M")+X(p[0]).toFixed(1)+" "+Y(p[1]).toFixed(1)).join(" ");
        s.append(svg("path",{d:d,fill:"none",stroke:c,"stroke-width":"2","data-series":se.name}));}
        legend.append(el("span",{style:"color:"+c},"\\u25A0 "+se.name));});
      box.append(s,legend);return box;}
    async function overview(main){
      const o=await api("/api/overview");main.replaceChildren();
      const busy=o.workers.reduce((a,w)=>a+w.pools.reduce((b,p)=>b+p.busy,0),0),kids=o.workers.reduce((a,w)=>a+w.pools.reduce((b,p)=>b+p.busy+p.idle,0),0);
      const queued=Object.values(o.queues).reduce((a,b)=>a+b,0);
      const done=o.counts.reduce((a,b)=>a+(b.counts.SUCCESS||0),0),failed=o.counts.reduce((a,b)=>a+(b.counts.FAILURE||0),0);
      const card=(label,n,id)=>el("div",{class:"card"},el("div",{class:"muted",text:label}),el("div",{class:"n",id:id,text:String(n)}));
      main.append(el("div",{class:"cards"},card("workers",o.workers.length,"stat-workers"),card("children busy / total",busy+" / "+kids,"stat-busy"),
        card("queued",queued,"stat-queued"),card("succeeded ("+Math.round(o.span/60)+" min)",done,"stat-succeeded"),card("failed ("+Math.round(o.span/60)+" min)",failed,"stat-failed")));
      const queues=new Set(),pools=new Set();for(const s of o.samples){Object.keys(s.depths).forEach(q=>queues.add(q));Object.keys(s.children).forEach(p=>pools.add(p));}
      const depth=[...queues].sort().map(q=>({name:q,points:o.samples.map(s=>[s.time,s.depths[q]||0])}));
      const poolSeries=[];[...pools].sort().forEach(p=>{poolSeries.push({name:p+" children",points:o.samples.map(s=>[s.time,s.children[p]||0])});
        poolSeries.push({name:p+" busy",points:o.samples.map(s=>[s.time,s.busy[p]||0])});});
      const rate=st=>o.counts.map(b=>[b.start+o.bucket,(b.counts[st]||0)/o.bucket]);let first=o.now;if(o.samples.length)first=o.samples[0].time;for(const b of o.counts)if(Object.keys(b.counts).length){first=Math.min(first,b.start);break;}
      const range=[Math.max(o.now-o.span,Math.min(first-5,o.now-60)),o.now];
      main.append(el("div",{class:"charts"},chart("Queue depth","chart-depth",depth,range),chart("Pool sizes","chart-pools",poolSeries,range),
        chart("Throughput (tasks/s, SUCCESS)","chart-throughput",[{name:"succeeded/s",points:rate("SUCCESS"),color:"#2e7d32"}],range),
        chart("Failures (tasks/s)","chart-failures",[{name:"failed/s",points:rate("FAILURE"),color:"#c62828"},{name:"retried/s",points:rate("RETRY"),color:"#ef6c00"}],range)));
      main.append(el("p",{class:"muted",text:"broker "+o.broker+" \\u00B7 backend "+o.backend}));}
    async function workers(main){
      const ws=await api("/api/workers");main.replaceChildren(el("h2",{text:"Workers"}));
      if(!ws.length)main.append(el("p",{class:"muted",text:"no live workers"}));
      for(const w of ws){main.append(el("h3",{text:w.hostname+" (pid "+w.pid+", "+w.state+")"}),
        el("p",{class:"muted",text:"up since "+when(w.started)+" \\u00B7 "+w.succeeded+" succeeded, "+w.failed+" failed \\u00B7 updated "+when(w.updated)}));
        const t=el("table",{class:"pools"},el("tr",{},...["pool","queues","busy","idle","target","min","max","queued"].map(h=>el("th",{text:h}))));
        for(const p of w.pools)t.append(el("tr",{"data-pool":p.name},...[p.name,p.queues.join(", "),p.busy,p.idle,p.target,p.min,p.max,p.depth].map(v=>el("td",{text:String(v)}))));
        main.append(t);}}
    function params(){const q=location.hash.split("?")[1]||"";return new URLSearchParams(q);}
    async function tasks(main){
      const p=params();const q=new URLSearchParams();for(const k of ["state","name","queue","since","until","cursor"])if(p.get(k))q.set(k,p.get(k));q.set("limit",p.get("limit")||"100");
      const page=await api("/api/tasks?"+q.toString());main.replaceChildren(el("h2",{text:"Tasks"}));
      const f=el("form",{class:"filters",id:"filters"});const field=(n,label,input)=>{input.name=n;input.value=p.get(n)||"";f.append(el("label",{},label,input));};
      const sel=el("select",{});for(const s of ["","PENDING","STARTED","PROGRESS","RETRY","SUCCESS","FAILURE","REVOKED"])sel.append(el("option",{value:s,text:s||"any"}));
      field("state","state",sel);field("name","name contains",el("input",{size:"18"}));field("queue","queue",el("input",{size:"10"}));
      field("since","since (ISO or Unix s)",el("input",{size:"20"}));field("until","until",el("input",{size:"20"}));
      f.append(el("button",{type:"submit",text:"Filter"}));
      const search=el("input",{id:"search-id",placeholder:"task id",size:"38"});
      f.append(el("label",{},"go to id",search),el("button",{type:"button",id:"search-go",text:"Open",onclick:()=>{if(search.value.trim())location.hash="#/task/"+encodeURIComponent(search.value.trim());}}));
      f.addEventListener("submit",e=>{e.preventDefault();const n=new URLSearchParams();for(const x of new FormData(f))if(x[1]&&x[0]!=="")n.set(x[0],x[1]);n.delete("");location.hash="#/tasks?"+n.toString();});
      main.append(f);
      const t=el("table",{id:"task-table"},el("tr",{},...["id","name","state","queue","worker","child pid","retries","done"].map(h=>el("th",{text:h}))));
      const body=el("tbody",{id:"task-rows"});t.append(body);
      for(const r of page.tasks)body.append(el("tr",{"data-id":r.id,"data-state":r.state},el("td",{class:"mono"},el("a",{href:"#/task/"+encodeURIComponent(r.id),text:r.id})),
        el("td",{text:r.name||"?"}),el("td",{class:r.state,text:r.state}),el("td",{text:r.queue||""}),el("td",{text:r.worker||""}),el("td",{text:r.pid==null?"":String(r.pid)}),
        el("td",{text:String(r.retries)}),el("td",{text:when(r.date_done)})));
      main.append(el("p",{class:"muted",id:"task-count",text:page.tasks.length+" shown"+(page.partial?" (partial scan)":"")}),t);
      if(page.next){const n=new URLSearchParams(p);n.set("cursor",page.next);main.append(el("p",{},el("a",{href:"#/tasks?"+n.toString(),id:"next-page",text:"older \\u2192"})));}}
    async function action(path,body){try{const r=await api(path,{method:"POST",headers:Object.assign({"Content-Type":"application/json"},H),body:body?JSON.stringify(body):"{}"});status("done: "+JSON.stringify(r));return r;}
      catch(e){status(e.message,true);throw e;}}
    async function task(main,id){
      const t=await api("/api/tasks/"+encodeURIComponent(id));main.replaceChildren(el("h2",{},"Task ",el("span",{class:"mono",id:"task-id",text:t.id})));
      const rows=[["name",t.name],["state",t.state],["queue",t.queue],["worker",t.worker],["child pid",t.pid],["retries",t.retries],["started",when(t.date_started)],["done",t.known?when(t.date_done):""],["revoked",t.revoked?"yes":"no"]];
      const tab=el("table",{id:"task-fields"});for(const [k,v] of rows)tab.append(el("tr",{},el("th",{text:k}),el("td",{id:"field-"+k.replace(" ","-"),class:k==="state"?String(v):"",text:v==null?"":String(v)})));
      main.append(tab);taskReady=["SUCCESS","FAILURE","REVOKED"].includes(t.state);
      const buttons=el("p",{},el("button",{id:"revoke",class:"danger",text:"Revoke",onclick:async()=>{await action("/api/tasks/"+encodeURIComponent(id)+"/revoke");route();}})," ",
        el("button",{id:"terminate",class:"danger",text:"Terminate",onclick:async()=>{await action("/api/tasks/"+encodeURIComponent(id)+"/terminate");route();}}));
      main.append(buttons);
      const block=(label,idn,text)=>{if(text!=null&&text!==""){main.append(el("h3",{text:label}),el("pre",{id:idn,text:String(text)}));}};
      block("args","task-args",t.args);block("kwargs","task-kwargs",t.kwargs);if(t.exception)block("exception","task-exception",t.exception);
      block("result","task-result",t.result);block("traceback","task-traceback",t.traceback);
      if(t.timeline){const tl=el("table",{id:"timeline"},el("tr",{},el("th",{text:"time"}),el("th",{text:"state"}),el("th",{text:""})));
        for(const e of t.timeline)tl.append(el("tr",{},el("td",{text:when(e.time)}),el("td",{class:e.state,text:e.state}),el("td",{text:e.detail||""})));main.append(el("h3",{text:"timeline"}),tl);}
      if(t.waiting)main.append(el("p",{id:"task-waiting",text:"waiting in queue "+t.queue+(t.eta?", due "+when(t.eta):"")}));
      else if(!t.known)main.append(el("p",{class:"muted",text:"no result stored yet: the task is waiting further back, unknown, or its result expired"}));}
    async function queued(main){
      const q=params().get("queue");const ms=await api("/api/queued?limit=100"+(q?"&queue="+encodeURIComponent(q):""));
      main.replaceChildren(el("h2",{text:"Queued"}),el("p",{class:"muted",text:"the next tasks waiting in each queue, in the order they will be claimed (100 a queue)"}));
      const t=el("table",{id:"queued-table"},el("tr",{},...["id","name","queue","due","priority","args",""].map(h=>el("th",{text:h}))));
      for(const m of ms)t.append(el("tr",{"data-id":m.id},el("td",{class:"mono"},el("a",{href:"#/task/"+encodeURIComponent(m.id),text:m.id})),el("td",{text:m.name}),
        el("td",{text:m.queue}),el("td",{text:m.eta?when(m.eta):"now"}),el("td",{text:m.priority==null?"":String(m.priority)}),el("td",{class:"mono",text:m.args}),
        el("td",{},el("button",{class:"danger revoke-queued","data-id":m.id,text:"Revoke",onclick:async()=>{await action("/api/tasks/"+encodeURIComponent(m.id)+"/revoke");route();}}))));
      main.append(t);if(!ms.length)main.append(el("p",{class:"muted",id:"no-queued",text:"nothing waiting"}));}
    async function deadLetters(main){
      const ds=await api("/api/dead-letters?limit=200");main.replaceChildren(el("h2",{text:"Dead letters"}));
      main.append(el("p",{},el("button",{id:"purge-dead-letters",class:"danger",text:"Purge all",onclick:async()=>{if(confirm("Delete every dead letter?")){await action("/api/dead-letters/purge");route();}}})));
      const t=el("table",{id:"dead-letter-table"},el("tr",{},...["id","time","queue","task","reason",""].map(h=>el("th",{text:h}))));
      for(const d of ds)t.append(el("tr",{"data-id":d.id},el("td",{class:"mono",text:d.id}),el("td",{text:when(d.created)}),el("td",{text:d.queue}),
        el("td",{class:"mono"},d.task_id?el("a",{href:"#/task/"+encodeURIComponent(d.task_id),text:d.task_id}):""),el("td",{text:d.reason}),
        el("td",{},el("button",{class:"replay","data-id":d.id,text:"Replay",onclick:async()=>{await action("/api/dead-letters/replay",{ids:[d.id]});route();}}))));
      main.append(t);if(!ds.length)main.append(el("p",{class:"muted",id:"no-dead-letters",text:"no dead letters"}));}
    async function route(){
      clearTimeout(timer);const h=location.hash||"#/";const path=h.slice(1).split("?")[0];const main=document.getElementById("main");
      const name=path.startsWith("/task/")?"task":(path.slice(1)||"overview");
      document.querySelectorAll("header a").forEach(a=>a.classList.toggle("on",a.dataset.nav===name||(name==="task"&&a.dataset.nav==="tasks")));
      try{if(name==="overview")await overview(main);else if(name==="workers")await workers(main);else if(name==="tasks")await tasks(main);
        else if(name==="task")await task(main,decodeURIComponent(path.slice(6)));else if(name==="dead-letters")await deadLetters(main);else if(name==="queued")await queued(main);
        else main.replaceChildren(el("p",{text:"no such page"}));status("updated "+new Date().toLocaleTimeString());}
      catch(e){status(e.message,true);}
      if(name!=="dead-letters"&&!(name==="task"&&taskReady))timer=setTimeout(()=>{if(!(document.activeElement&&["INPUT","SELECT"].includes(document.activeElement.tagName)))route();else timer=setTimeout(route,1000);},1000);}
    window.addEventListener("hashchange",route);route();
    </script></body></html>
    """
}
